using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using QueueExporter.Runner.Dispatch;

namespace QueueExporter.Tests.Runner.Dispatch;

/// <summary>
/// The workers' first connection, opened ahead of the first runjob call: handed to that call's connection when it
/// is for the same place, young and open; in every other case closed, and the call connects as it always did.
/// Real loopback sockets; the clock is a fake one.
/// </summary>
public sealed class WarmConnectionTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly TcpListener _worker = new(IPAddress.Loopback, 0);
    private readonly FakeTimeProvider _time = new();

    public WarmConnectionTests()
    {
        _worker.Start();
    }

    private DnsEndPoint Worker => new("127.0.0.1", ((IPEndPoint)_worker.LocalEndpoint).Port);

    [Fact]
    public async Task An_open_connection_is_handed_out_once_for_its_own_endpoint()
    {
        using var warm = new WarmConnection(_time);

        Assert.Null(await warm.OpenAsync(Worker, Patience, CancellationToken.None));
        using var accepted = await _worker.AcceptSocketAsync().WaitAsync(Patience);

        using var socket = warm.TryTake(Worker);
        Assert.NotNull(socket);
        Assert.Equal(((IPEndPoint)accepted.RemoteEndPoint!).Port, ((IPEndPoint)socket.LocalEndPoint!).Port);
        Assert.Null(warm.TryTake(Worker));
    }

    [Fact]
    public async Task A_connection_for_another_endpoint_is_closed_not_handed_out()
    {
        using var warm = new WarmConnection(_time);
        await warm.OpenAsync(Worker, Patience, CancellationToken.None);
        using var accepted = await _worker.AcceptSocketAsync().WaitAsync(Patience);

        Assert.Null(warm.TryTake(new DnsEndPoint("proxy.invalid", Worker.Port)));

        Assert.Equal(0, await accepted.ReceiveAsync(new byte[1].AsMemory()).AsTask().WaitAsync(Patience));
        Assert.False(warm.IsParked);
    }

    [Fact]
    public async Task A_connection_older_than_its_limit_is_closed_when_the_limit_passes()
    {
        using var warm = new WarmConnection(_time);
        await warm.OpenAsync(Worker, Patience, CancellationToken.None);
        using var accepted = await _worker.AcceptSocketAsync().WaitAsync(Patience);

        _time.Advance(WarmConnection.MaxAge - TimeSpan.FromMilliseconds(1));
        Assert.True(warm.IsParked);
        _time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.False(warm.IsParked);
        Assert.Null(warm.TryTake(Worker));
        Assert.Equal(0, await accepted.ReceiveAsync(new byte[1].AsMemory()).AsTask().WaitAsync(Patience));
    }

    [Fact]
    public async Task A_connection_the_worker_closed_is_not_handed_out()
    {
        using var warm = new WarmConnection(_time);
        await warm.OpenAsync(Worker, Patience, CancellationToken.None);
        using (await _worker.AcceptSocketAsync().WaitAsync(Patience))
        {
            // Closed by the worker before any request (an idle timeout); on loopback the close has arrived when this returns.
        }

        Assert.Null(warm.TryTake(Worker));
    }

    [Fact]
    public async Task A_worker_that_does_not_listen_leaves_nothing_and_the_reason()
    {
        _worker.Stop();
        using var warm = new WarmConnection(_time);

        var failure = await warm.OpenAsync(Worker, Patience, CancellationToken.None);

        Assert.NotNull(failure);
        Assert.False(warm.IsParked);
        Assert.Null(warm.TryTake(Worker));
    }

    [Fact]
    public async Task Only_the_first_open_connects_and_dispose_closes_what_waits()
    {
        var warm = new WarmConnection(_time);
        await warm.OpenAsync(Worker, Patience, CancellationToken.None);
        Assert.Null(await warm.OpenAsync(Worker, Patience, CancellationToken.None));
        using var accepted = await _worker.AcceptSocketAsync().WaitAsync(Patience);
        Assert.False(_worker.Pending());

        warm.Dispose();

        Assert.False(warm.IsParked);
        Assert.Equal(0, await accepted.ReceiveAsync(new byte[1].AsMemory()).AsTask().WaitAsync(Patience));
    }

    [Fact]
    public async Task The_first_runjob_call_goes_out_on_the_connection_opened_ahead()
    {
        using var client = new WorkerClient(new Uri($"http://127.0.0.1:{Worker.Port}"), "runner", "secret", Patience, _time);

        Assert.Null(await client.WarmUpAsync(CancellationToken.None));
        using var accepted = await _worker.AcceptSocketAsync().WaitAsync(Patience);
        var call = client.RunJobAsync(client.RunJobUrl("shop", "u-1"));

        var request = await ReadRequestAsync(accepted);
        Assert.StartsWith("GET /queue_job/runjob?db=shop&job_uuid=u-1 HTTP/1.1", request, StringComparison.Ordinal);
        Assert.Contains("Authorization: Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("runner:secret")), request, StringComparison.Ordinal);
        await accepted.SendAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));

        Assert.Equal(DispatchOutcome.Ok, (await call.WaitAsync(Patience)).Outcome);
        Assert.False(_worker.Pending());
    }

    [Fact]
    public async Task Without_a_warm_connection_the_call_connects_itself()
    {
        using var client = new WorkerClient(new Uri($"http://127.0.0.1:{Worker.Port}"), null, null, Patience, _time);
        await client.WarmUpAsync(CancellationToken.None);
        using (await _worker.AcceptSocketAsync().WaitAsync(Patience))
        {
            // Closed by the worker before any request: the call must not use it.
        }

        var call = client.RunJobAsync(client.RunJobUrl("shop", "u-2"));
        using var accepted = await _worker.AcceptSocketAsync().WaitAsync(Patience);
        Assert.StartsWith("GET /queue_job/runjob?db=shop&job_uuid=u-2 ", await ReadRequestAsync(accepted), StringComparison.Ordinal);
        await accepted.SendAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));

        Assert.Equal(DispatchOutcome.Ok, (await call.WaitAsync(Patience)).Outcome);
    }

    public void Dispose() => _worker.Dispose();

    private static async Task<string> ReadRequestAsync(Socket socket)
    {
        var received = new StringBuilder();
        var buffer = new byte[4096];
        while (!received.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory()).AsTask().WaitAsync(Patience);
            Assert.NotEqual(0, n);
            received.Append(Encoding.ASCII.GetString(buffer, 0, n));
        }

        return received.ToString();
    }
}
