using System.Net;
using System.Net.Sockets;

namespace QueueExporter.IntegrationTests.Faults;

/// <summary>
/// A loopback TCP proxy in front of PostgreSQL that can stop forwarding without closing anything: the
/// network partition as a client sees it (bytes vanish, no reset, no FIN). Connections accepted while
/// frozen are held open and never forwarded. Traffic stays on 127.0.0.1.
/// </summary>
public sealed class FreezableTcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Socket> _sockets = [];
    private readonly Task _accepting;
    private volatile TaskCompletionSource _thawed = Completed();

    public FreezableTcpProxy(string host, int port)
    {
        _target = new IPEndPoint(IPAddress.Parse(host == "localhost" ? "127.0.0.1" : host), port);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Stops forwarding in both directions; every socket stays open.</summary>
    public void Freeze() => _thawed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _thawed.TrySetResult();
        _listener.Stop();
        lock (_sockets)
        {
            foreach (var socket in _sockets)
            {
                socket.Dispose();
            }
        }

        try
        {
            await _accepting;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private static TaskCompletionSource Completed()
    {
        var done = new TaskCompletionSource();
        done.SetResult();
        return done;
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptSocketAsync(_stop.Token);
            var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            lock (_sockets)
            {
                _sockets.Add(client);
                _sockets.Add(server);
            }

            _ = ConnectAndForwardAsync(client, server);
        }
    }

    private async Task ConnectAndForwardAsync(Socket client, Socket server)
    {
        try
        {
            await _thawed.Task;
            await server.ConnectAsync(_target, _stop.Token);
            await Task.WhenAny(ForwardAsync(client, server), ForwardAsync(server, client));
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            // Only a side that really closed ends the pair; a freeze never gets here.
            client.Dispose();
            server.Dispose();
        }
    }

    private async Task ForwardAsync(Socket from, Socket to)
    {
        var buffer = new byte[16 * 1024];
        while (true)
        {
            var read = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
            if (read == 0)
            {
                return;
            }

            // A frozen proxy keeps what it read and never passes it on: the peer hears nothing, and no error.
            await _thawed.Task;
            await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stop.Token);
        }
    }
}
