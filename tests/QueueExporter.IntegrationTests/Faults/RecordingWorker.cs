using Microsoft.Extensions.Logging;
using Prometheus;
using QueueExporter.QueueJob.Connection;
using QueueExporter.Worker;
using QueueExporter.Worker.Handlers;

namespace QueueExporter.IntegrationTests.Faults;

/// <summary>
/// An in-process worker (the public <see cref="WorkerHost"/>) with one job function,
/// <c>queue.fault.work</c>, that records every run in an <see cref="ExecutionLog"/>. The worker
/// command has no way to load handlers, so tests that need this worker-side evidence run the worker
/// here while the runners stay real processes they can SIGKILL. Arguments: <c>[seconds, mode]</c>,
/// mode <c>ok</c> (done), <c>fail</c> (failed) or <c>flaky</c> (a retryable error on the first
/// attempt, retried after 1 s, then done).
/// </summary>
public sealed class RecordingWorker : IAsyncDisposable
{
    public const string Model = "queue.fault";
    public const string Method = "work";

    private readonly WorkerHost _host;
    private readonly CollectorRegistry _registry;

    private RecordingWorker(WorkerHost host, CollectorRegistry registry)
    {
        _host = host;
        _registry = registry;
    }

    public Uri BaseAddress => _host.BaseAddress;

    /// <summary>Runs the worker counted as lost (outcome <c>lost</c>: lock session gone, or the job no longer theirs).</summary>
    public async Task<double> LostRunsAsync()
    {
        using var stream = new MemoryStream();
        await _registry.CollectAndExportAsTextAsync(stream);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray()).Split('\n')
            .Where(line => line.StartsWith("queue_worker_jobs_total{", StringComparison.Ordinal) && line.Contains("outcome=\"lost\"", StringComparison.Ordinal))
            .Sum(line => double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }

    public static async Task<RecordingWorker> StartAsync(DatabaseEndpoint database, ExecutionLog log, string name = "in-process worker")
    {
        var registry = Metrics.NewCustomRegistry();
        var host = await WorkerHost.StartAsync(
            new WorkerOptions
            {
                Endpoint = database,
                Listen = "127.0.0.1:0",
                // The runners' test-sized grace; a lost lock session cancels the handler well within it.
                DeadJobGrace = TimeSpan.FromSeconds(FaultProcesses.DeadJobGraceSeconds),
                LockCheckInterval = TimeSpan.FromMilliseconds(250),
                LockCheckTimeout = TimeSpan.FromMilliseconds(500),
            },
            metricsRegistry: registry,
            registerHandlers: registry => registry.Register(Model + "." + Method, (job, ct) => RunAsync(job, log, name, ct), RetryPattern.Parse("1: 1")),
            configureLogging: logging => logging.ClearProviders());
        return new RecordingWorker(host, registry);
    }

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    private static async Task<string?> RunAsync(JobContext job, ExecutionLog log, string name, CancellationToken cancellationToken)
    {
        var seconds = job.Args[0].GetDouble();
        var mode = job.Args[1].GetString();
        var run = log.Begin(job.Uuid, name, Environment.ProcessId);
        var outcome = "done";
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(seconds), cancellationToken);
            if (mode == "fail")
            {
                outcome = "failed";
                throw new InvalidOperationException("fault suite: this job fails by design");
            }

            if (mode == "flaky" && job.Retry == 0)
            {
                outcome = "retry";
                throw new RetryableJobException("fault suite: the first attempt asks for a retry");
            }

            return "ran";
        }
        catch (OperationCanceledException)
        {
            outcome = "interrupted";
            throw;
        }
        finally
        {
            log.End(run, outcome);
        }
    }
}
