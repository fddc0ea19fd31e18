using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Prometheus;
using QueueExporter.QueueJob.Enqueue;
using QueueExporter.QueueJob.Schema;
using QueueExporter.QueueJob.Web;
using QueueExporter.Runner;
using QueueExporter.Worker;

namespace QueueExporter.Benchmarks.Rig;

/// <summary>
/// Our real runner (<see cref="JobRunner"/>, in-process) and our real worker (the runjob endpoint with
/// its database code, in a Kestrel of our own so that an <see cref="ArrivalProbe"/> can stand in front
/// of it) serving one database, with a handler that returns at once: every cost measured is the
/// queue's, none is the job's. Logging is off on both (a log line per job is the operator's choice,
/// not the queue's cost); metrics are on, as in production.
/// </summary>
internal sealed class FlowRig : IAsyncDisposable
{
    public const string ModelName = "bench.job";
    public const string MethodName = "run";

    private readonly WebApplication _worker;
    private readonly CancellationTokenSource _stop;
    private readonly Task _runnerTask;
    private readonly StandInFinisher? _finisher;

    private FlowRig(WebApplication worker, StandInFinisher? finisher, JobRunner runner, CancellationTokenSource stop, Task runnerTask, ArrivalProbe probe, QueueJobSchema schema)
    {
        _worker = worker;
        _finisher = finisher;
        _stop = stop;
        Runner = runner;
        _runnerTask = runnerTask;
        Probe = probe;
        Schema = schema;
    }

    public JobRunner Runner { get; }

    public ArrivalProbe Probe { get; }

    public QueueJobSchema Schema { get; }

    public static NewJob NewJob() => new() { ModelName = ModelName, MethodName = MethodName, ArgsJson = "[1]" };

    /// <param name="cluster">The server.</param>
    /// <param name="database">The database served.</param>
    /// <param name="capacity">The runner's <c>root</c> capacity (0 = unlimited).</param>
    /// <param name="runJobs">False: a stand-in worker records each request's arrival, answers 200 at once and marks the jobs done in batches (one UPDATE per batch), so what is measured is the runner's reading and dispatching, not the worker's per-job transactions.</param>
    public static async Task<FlowRig> StartAsync(BenchmarkCluster cluster, string database, int capacity, bool runJobs = true)
    {
        var probe = new ArrivalProbe();
        var finisher = runJobs ? null : new StandInFinisher(cluster.ConnectionString(database, BenchmarkCluster.WorkerRole), probe);
        var worker = await StartWorkerAsync(cluster, [database], probe, finisher);
        var workerUrl = new Uri(worker.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        var runner = new JobRunner(
            new RunnerOptions
            {
                Endpoint = cluster.Endpoint(database, BenchmarkCluster.RunnerRole),
                Databases = [database],
                Channels = $"root:{capacity}",
                WorkerUrl = workerUrl,
            },
            new RunnerMetrics(Metrics.NewCustomRegistry()));
        var rigStop = new CancellationTokenSource();
        var runnerTask = Task.Run(() => runner.RunAsync(rigStop.Token));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!(runner.Leadership.TryGetValue(database, out var leads) && leads))
        {
            if (DateTime.UtcNow > deadline || runnerTask.IsCompleted)
            {
                throw new InvalidOperationException($"the runner did not take the leader lock on {database} within 30 s");
            }

            await Task.Delay(20);
        }

        await using var connection = await cluster.OpenAsync(database);
        var schema = await SchemaDetector.DetectAsync(connection, CancellationToken.None);
        return new FlowRig(worker, finisher, runner, rigStop, runnerTask, probe, schema);
    }

    /// <summary>Inserts one job in its own transaction (autocommit), as Odoo's <c>with_delay()</c> followed by a commit.</summary>
    public async Task<string> EnqueueOneAsync(NpgsqlConnection connection, CancellationToken cancellationToken) =>
        await new JobEnqueuer(Schema).EnqueueAsync(connection, NewJob(), null, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _runnerTask;
        await _worker.StopAsync(CancellationToken.None);
        await _worker.DisposeAsync();
        if (_finisher is not null)
        {
            await _finisher.DisposeAsync();
        }

        _stop.Dispose();
    }

    /// <summary>Our real worker for <paramref name="databases"/> behind <paramref name="probe"/> (or a stand-in that hands jobs to <paramref name="finisher"/>).</summary>
    internal static async Task<WebApplication> StartWorkerAsync(BenchmarkCluster cluster, IReadOnlyList<string> databases, ArrivalProbe probe, StandInFinisher? finisher)
    {
        var builder = WebHostFactory.CreateBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        builder.Services.AddQueueJobWorker(
            new WorkerOptions { Endpoint = cluster.Endpoint(databases[0], BenchmarkCluster.WorkerRole), Databases = databases, Listen = "127.0.0.1:0" },
            Metrics.NewCustomRegistry(),
            handlers => handlers.Register($"{ModelName}.{MethodName}", (_, _) => Task.FromResult<string?>(null)));
        var app = builder.Build();
        app.Use(async (context, next) =>
        {
            var uuid = context.Request.Query["job_uuid"].ToString();
            probe.RecordArrival(uuid);
            if (finisher is not null)
            {
                finisher.Finish(uuid);
                return;
            }

            await next(context);
            if (context.Response.StatusCode == StatusCodes.Status200OK)
            {
                probe.RecordCompletion();
            }
        });
        app.MapQueueJobWorker();
        await app.StartAsync();
        return app;
    }
}
