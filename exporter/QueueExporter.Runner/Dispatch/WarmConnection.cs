using System.Net;
using System.Net.Sockets;

namespace QueueExporter.Runner.Dispatch;

/// <summary>
/// One TCP connection to the workers, opened while the runner connects to its databases and loads them, and
/// handed to the first runjob call instead of connecting behind it (name resolution, the handshake). Nothing is
/// sent on it before that call: OCA's protocol has no request without side effects, so this is only a connected
/// socket, and the call's HTTP (and TLS, for https) runs on it as on any new connection.
/// <para>
/// Bounded and optional: one socket, opened once and handed out at most once, and only to a connection for the
/// same host and port, while younger than <see cref="MaxAge"/> and still open (a worker or a proxy may close an
/// idle connection that never sent a request). Otherwise it is closed, and the call connects as it always did;
/// a failed open is the same as none.
/// </para>
/// </summary>
internal sealed class WarmConnection : IDisposable
{
    /// <summary>
    /// How long a warm connection waits for its first call: far beyond a start-up's first dispatch, well within
    /// the header-read timeouts of web servers and proxies (nginx 60 s, Apache 20 s), so it is never handed out
    /// half-closed by the other side.
    /// </summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(5);

    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private Socket? _socket;
    private DnsEndPoint? _endpoint;
    private long _openedAt;
    private ITimer? _expiry;
    private bool _claimed;
    private bool _disposed;

    public WarmConnection(TimeProvider time)
    {
        _time = time ?? throw new ArgumentNullException(nameof(time));
    }

    /// <summary>Whether a socket waits to be handed out now.</summary>
    public bool IsParked
    {
        get
        {
            lock (_lock)
            {
                return _socket is not null;
            }
        }
    }

    /// <summary>A socket as the HTTP handler opens its own: TCP, dual-mode, no Nagle delay.</summary>
    public static Socket NewSocket() => new(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };

    /// <summary>
    /// Connects to <paramref name="endpoint"/> within <paramref name="timeout"/> and keeps the socket for the first call.
    /// Only the first call of this method does anything. Never throws.
    /// </summary>
    /// <returns>Null when a socket was parked (or another call opens it), else why not, in a few words.</returns>
    public async Task<string?> OpenAsync(DnsEndPoint endpoint, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        lock (_lock)
        {
            if (_claimed)
            {
                return null;
            }

            _claimed = true;
        }

        var socket = NewSocket();
        try
        {
            using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            bounded.CancelAfter(timeout);
            await socket.ConnectAsync(endpoint, bounded.Token);
        }
#pragma warning disable CA1031 // Best effort by design: the first call connects itself and reports its own failure.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            socket.Dispose();
            return ex is OperationCanceledException ? "no connection within " + timeout.TotalSeconds + " s" : ex.Message;
        }

        lock (_lock)
        {
            if (_disposed)
            {
                socket.Dispose();
                return "the runner stopped";
            }

            _socket = socket;
            _endpoint = endpoint;
            _openedAt = _time.GetTimestamp();
            _expiry = _time.CreateTimer(_ => Drop(), null, MaxAge, Timeout.InfiniteTimeSpan);
        }

        return null;
    }

    /// <summary>The warm socket, if it is one for <paramref name="endpoint"/>, young enough and still open; null otherwise (the caller connects).</summary>
    public Socket? TryTake(DnsEndPoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        Socket? socket;
        DnsEndPoint? parkedFor;
        long openedAt;
        lock (_lock)
        {
            socket = _socket;
            parkedFor = _endpoint;
            openedAt = _openedAt;
            _socket = null;
        }

        if (socket is null)
        {
            return null;
        }

        if (parkedFor is not null
            && endpoint.Port == parkedFor.Port
            && string.Equals(endpoint.Host, parkedFor.Host, StringComparison.OrdinalIgnoreCase)
            && _time.GetElapsedTime(openedAt) < MaxAge
            && IsOpen(socket))
        {
            return socket;
        }

        socket.Dispose();
        return null;
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _claimed = true;
            _disposed = true;
            _expiry?.Dispose();
        }

        Drop();
    }

    private void Drop()
    {
        Socket? socket;
        lock (_lock)
        {
            socket = _socket;
            _socket = null;
        }

        socket?.Dispose();
    }

    // Before any request, nothing may be readable: readable means closed by the other side (or bytes nobody asked for).
    private static bool IsOpen(Socket socket)
    {
        try
        {
            return !socket.Poll(0, SelectMode.SelectRead);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }
}
