using System.Net;
using System.Net.Sockets;

namespace QueueExporter.Benchmarks.Rig;

/// <summary>
/// A TCP relay in front of PostgreSQL that counts round trips as the wire sees them: a client send that
/// follows something the server sent (or opens the connection) starts a new round trip; more bytes before the
/// server answers (a batch split over packets, a pipelined Sync) belong to the same one. Statements sent
/// as one batch are one round trip, which is what a client library's batching buys and what
/// pg_stat_statements cannot show. Loopback only; stops with the harness.
/// </summary>
internal sealed class RoundTripCountingProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _upstreamPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _relays = [];
    private readonly Task _accepting;
    private long _roundTrips;

    public RoundTripCountingProxy(int upstreamPort)
    {
        _upstreamPort = upstreamPort;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public long RoundTrips => Interlocked.Read(ref _roundTrips);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        Task[] relays;
        lock (_relays)
        {
            relays = [.. _relays];
        }

        await Task.WhenAll(relays);
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                lock (_relays)
                {
                    _relays.RemoveAll(t => t.IsCompleted);
                    _relays.Add(RelayAsync(client));
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        using (client)
        using (var server = new TcpClient())
        {
            try
            {
                client.NoDelay = true;
                server.NoDelay = true;
                await server.ConnectAsync(IPAddress.Loopback, _upstreamPort, _stop.Token);
                var turn = new Turn();
                using var done = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                var up = PumpAsync(client.GetStream(), server.GetStream(), turn, fromClient: true, done);
                var down = PumpAsync(server.GetStream(), client.GetStream(), turn, fromClient: false, done);
                await Task.WhenAll(up, down);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
            {
                // A side closed or the harness stopped.
            }
        }
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to, Turn turn, bool fromClient, CancellationTokenSource done)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReadAsync(buffer, done.Token);
                if (read == 0)
                {
                    break;
                }

                if (fromClient)
                {
                    if (Interlocked.Exchange(ref turn.ServerSpoke, 0) == 1)
                    {
                        Interlocked.Increment(ref _roundTrips);
                    }
                }
                else
                {
                    Volatile.Write(ref turn.ServerSpoke, 1);
                }

                await to.WriteAsync(buffer.AsMemory(0, read), done.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
        }
        finally
        {
            // One side is gone: end the other direction too.
            await done.CancelAsync();
        }
    }

    private sealed class Turn
    {
        // 1 when the server sent last (a connection opens with the client's turn, so it starts at 1).
        public int ServerSpoke = 1;
    }
}
