using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;
using QueueExporter.QueueJob.Options;
using QueueExporter.QueueJob.Web;
using QueueExporter.Worker.Handlers;

namespace QueueExporter.Worker;

/// <summary>
/// A running worker: Kestrel serving <c>/queue_job/runjob</c> and <c>/metrics</c>. Used by the
/// <c>queue-exporter worker</c> command, and by tests and the demo to run a worker in-process:
/// <code>
/// await using var worker = await WorkerHost.StartAsync(new WorkerOptions
/// {
///     Endpoint = DatabaseEndpoint.Parse(url), Listen = "127.0.0.1:0", DemoHandlers = true,
/// }, metricsRegistry: Metrics.NewCustomRegistry());
/// // worker.BaseAddress is http://127.0.0.1:PORT/
/// </code>
/// </summary>
public sealed class WorkerHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private WorkerHost(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    /// <summary>Where the worker listens, e.g. <c>http://127.0.0.1:8069/</c> (the real port when 0 was asked).</summary>
    public Uri BaseAddress { get; }

    /// <summary>The port the worker listens on.</summary>
    public int Port => BaseAddress.Port;

    /// <summary>The handlers this worker runs; more may be registered while it runs.</summary>
    public JobHandlerRegistry Handlers => _app.Services.GetRequiredService<JobHandlerRegistry>();

    /// <summary>The worker's services (logging, clock, handlers).</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>Starts a worker and returns once it accepts requests.</summary>
    /// <param name="options">The worker's settings (validated; a bad value throws <see cref="ArgumentException"/>).</param>
    /// <param name="metricsRegistry">Where the metrics go; the global registry when null.</param>
    /// <param name="registerHandlers">Registers the application's job functions.</param>
    /// <param name="configureLogging">Adjusts logging (default: console, Information, ASP.NET Core at Warning).</param>
    /// <param name="clock">The clock for dates, delays and durations; the system clock when null.</param>
    /// <param name="webConfig">TLS and basic auth for the listener (<c>--web.config.file</c>); plain HTTP when null.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    public static async Task<WorkerHost> StartAsync(
        WorkerOptions options,
        CollectorRegistry? metricsRegistry = null,
        Action<JobHandlerRegistry>? registerHandlers = null,
        Action<ILoggingBuilder>? configureLogging = null,
        TimeProvider? clock = null,
        WebConfigFile? webConfig = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var listen = WorkerOptions.ParseListen(options.Listen);
        ListenPreflight.EnsureAvailable(listen);
        var builder = WebHostFactory.CreateBuilder();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(listen, webConfig));
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting", LogLevel.Warning);
        configureLogging?.Invoke(builder.Logging);
        if (clock is not null)
        {
            builder.Services.AddSingleton(clock);
        }

        builder.Services.AddQueueJobWorker(options, metricsRegistry, registerHandlers);
        var app = builder.Build();
        app.UseWebConfig(webConfig);
        app.MapQueueJobWorker();
        app.MapQueueExporterHealth();
        app.MapLandingPage(
            "worker",
            "Runs queue_job jobs for .NET handlers: a queue_job runner calls GET /queue_job/runjob?db=&job_uuid= here.",
            ("/metrics", "Prometheus metrics"),
            (HealthEndpoint.Path, "readiness: database server reachable, not stopping"));
        await app.StartAsync(cancellationToken);

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? throw new InvalidOperationException("the worker started without a listening address");
        var bound = new Uri(address);
        var host = listen.Address.Equals(IPAddress.Any) ? "127.0.0.1" : bound.Host;
        var baseAddress = new UriBuilder(bound) { Host = host, Path = "/" }.Uri;
        var handlers = app.Services.GetRequiredService<JobHandlerRegistry>();
        WorkerLog.Listening(app.Services.GetRequiredService<ILogger<WorkerHost>>(), baseAddress.ToString(), handlers.Names.Count);
        return new WorkerHost(app, baseAddress);
    }

    /// <summary>The URL a runner calls to run one job.</summary>
    public Uri RunJobUri(string database, string uuid) =>
        new(BaseAddress, $"queue_job/runjob?db={Uri.EscapeDataString(database)}&job_uuid={Uri.EscapeDataString(uuid)}");

    /// <summary>Stops accepting requests and waits for running jobs (up to the host's shutdown timeout).</summary>
    public Task StopAsync(CancellationToken cancellationToken = default) => _app.StopAsync(cancellationToken);

    /// <summary>Waits until the host stops (after <see cref="StopAsync"/> or a shutdown signal).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}
