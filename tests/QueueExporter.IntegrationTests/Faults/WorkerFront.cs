using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using QueueExporter.QueueJob.Web;

namespace QueueExporter.IntegrationTests.Faults;

/// <summary>
/// A stand-in for the load balancer in front of Odoo's HTTP workers: the runner's <c>--worker-url</c>
/// points here, and each runjob call goes to one of the live backends. A test can make it answer 500
/// without asking any worker (an overloaded or broken Odoo), or stop listening so that connections are
/// refused (workers down), then serve again on the same port.
/// </summary>
public sealed class WorkerFront : IAsyncDisposable
{
    private readonly HttpClient _client = new() { Timeout = TimeSpan.FromMinutes(2) };
    private readonly Random _random;
    private readonly Lock _gate = new();
    private List<Uri> _backends;
    private WebApplication? _app;
    private volatile bool _answer500;
    private int _port;
    private int _answered500;
    private int _forwarded;

    private WorkerFront(IEnumerable<Uri> backends, int seed)
    {
        _backends = [.. backends];
        _random = new Random(seed);
    }

    /// <summary>The URL to give the runner; it stays the same across <see cref="RefuseConnectionsAsync"/> and <see cref="ServeAsync"/>.</summary>
    public Uri BaseAddress => new($"http://127.0.0.1:{_port}/");

    /// <summary>Runjob calls answered 500 without reaching a worker.</summary>
    public int Answered500 => _answered500;

    /// <summary>Runjob calls passed on to a worker.</summary>
    public int Forwarded => _forwarded;

    public static async Task<WorkerFront> StartAsync(IEnumerable<Uri> backends, int seed)
    {
        var front = new WorkerFront(backends, seed);
        await front.ServeAsync();
        return front;
    }

    /// <summary>Replaces the live backends (after a worker was killed or started).</summary>
    public void SetBackends(IEnumerable<Uri> backends)
    {
        lock (_gate)
        {
            _backends = [.. backends];
        }
    }

    /// <summary>From now on answer every runjob call with 500, or (false) forward again.</summary>
    public void Answer500(bool on) => _answer500 = on;

    /// <summary>Stops listening: connections are refused until <see cref="ServeAsync"/>.</summary>
    public async Task RefuseConnectionsAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    /// <summary>Listens (again, on the same port once one was chosen).</summary>
    public async Task ServeAsync()
    {
        var builder = WebHostFactory.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, _port));
        var app = builder.Build();
        app.MapGet("/queue_job/runjob", (Func<HttpContext, Task<IResult>>)HandleAsync);
        await app.StartAsync();
        _port = new Uri(app.Urls.First()).Port;
        _app = app;
    }

    public async ValueTask DisposeAsync()
    {
        await RefuseConnectionsAsync();
        _client.Dispose();
    }

    private async Task<IResult> HandleAsync(HttpContext context)
    {
        if (_answer500)
        {
            Interlocked.Increment(ref _answered500);
            return Results.StatusCode(StatusCodes.Status500InternalServerError);
        }

        Uri backend;
        lock (_gate)
        {
            if (_backends.Count == 0)
            {
                return Results.StatusCode(StatusCodes.Status502BadGateway);
            }

            backend = _backends[_random.Next(_backends.Count)];
        }

        Interlocked.Increment(ref _forwarded);
        try
        {
            // Not tied to the caller: OCA's runner hangs up after 1 s and the job must run on.
            using var answer = await _client.GetAsync(new Uri(backend, "queue_job/runjob" + context.Request.QueryString), CancellationToken.None);
            return Results.StatusCode((int)answer.StatusCode);
        }
        catch (HttpRequestException)
        {
            return Results.StatusCode(StatusCodes.Status502BadGateway);
        }
    }
}
