using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;
using QueueExporter.QueueJob.Enqueue;
using QueueExporter.QueueJob.Schema;
using QueueExporter.Runner;
using QueueExporter.Runner.Hosting;
using QueueExporter.IntegrationTests.Faults;
using QueueExporter.TestSupport;
using QueueExporter.Worker;
using QueueExporter.Worker.Handlers;

namespace QueueExporter.IntegrationTests.EndToEnd;

/// <summary>
/// The whole pipeline with real parts: PostgreSQL, our runner, our worker over HTTP on loopback. Jobs of
/// mixed kinds run to completion; every job ends as its handler dictates, none runs twice (or twice at
/// once), and both components' metrics agree with the table.
/// </summary>
public class RunnerAndWorkerTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Mixed_jobs_run_to_completion_once_each_and_the_metrics_agree_with_the_table()
    {
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateDatabaseAsync();
        var executions = new ExecutionLog();
        var workerRegistry = Metrics.NewCustomRegistry();
        await using var worker = await WorkerHost.StartAsync(
            new WorkerOptions { Endpoint = database.Endpoint, Databases = [database.Name], Listen = "127.0.0.1:0" },
            workerRegistry,
            handlers => RegisterHandlers(handlers, executions),
            logging => logging.SetMinimumLevel(LogLevel.Warning));
        var runnerRegistry = Metrics.NewCustomRegistry();
        using var runner = await StartRunnerAsync(database, worker.BaseAddress, runnerRegistry);

        var uuids = await EnqueueMixAsync(database);
        await using var connection = await database.OpenConnectionAsync();
        await Eventually.UntilAsync(
            async () => await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM queue_job WHERE state NOT IN ('done', 'failed')") == 0,
            Deadline,
            "every job reaches done or failed");

        var rows = (await connection.QueryAsync<(string Uuid, string Method, string State, int Retry, string? ExcName)>(
            "SELECT uuid, method_name, state, retry, exc_name FROM queue_job")).ToDictionary(r => r.Uuid);
        Assert.All(uuids.Quick, u => Assert.Equal("done", rows[u].State));
        Assert.All(uuids.Failing, u => Assert.Equal(("failed", "System.InvalidOperationException"), (rows[u].State, rows[u].ExcName)));
        Assert.All(uuids.Flaky, u => Assert.Equal(("done", 3), (rows[u].State, rows[u].Retry))); // Odoo counts attempts in retry
        var runs = executions.RunsPerJob();
        Assert.All(uuids.Quick.Concat(uuids.Failing), u => Assert.Equal(1, runs.GetValueOrDefault(u)));
        Assert.All(uuids.Flaky, u => Assert.Equal(3, runs.GetValueOrDefault(u)));
        Assert.Empty(executions.Overlaps());

        // The worker commits before it counts and answers, and the runner counts a dispatch once the answer arrives:
        // the table can be settled a moment before either side's last counts. Wait for them, then compare.
        double Sent(string text) => Sum(text, "queue_runner_dispatches_total", "outcome=\"ok\"") + Sum(text, "queue_runner_dispatches_total", "outcome=\"http_error\"");
        await Eventually.UntilAsync(
            async () => Sent(await ExportAsync(runnerRegistry)) >= executions.All.Count
                && Sum(await ExportAsync(workerRegistry), "queue_worker_jobs_total", "outcome=") >= executions.All.Count,
            Deadline,
            "the runner and the worker have counted every run");
        var workerText = await ExportAsync(workerRegistry);
        var runnerText = await ExportAsync(runnerRegistry);
        Assert.Equal(uuids.Quick.Count + uuids.Flaky.Count, Sum(workerText, "queue_worker_jobs_total", "outcome=\"done\""));
        Assert.Equal(uuids.Failing.Count, Sum(workerText, "queue_worker_jobs_total", "outcome=\"failed\""));
        Assert.Equal(uuids.Flaky.Count * 2, Sum(workerText, "queue_worker_jobs_total", "outcome=\"retry\""));
        // Every runjob request sent ran the handler once; not_pending attempts were refused by the guarded UPDATE and sent nothing.
        Assert.Equal(executions.All.Count, Sent(runnerText));
        Assert.Equal(uuids.Failing.Count, Sum(runnerText, "queue_runner_dispatches_total", "outcome=\"http_error\""));
        Assert.Equal(0, Sum(runnerText, "queue_runner_dispatches_total", "outcome=\"connection_error\""));
        Assert.Equal(1, Sum(runnerText, "queue_runner_leader", $"database=\"{database.Name}\""));
    }

    private static void RegisterHandlers(JobHandlerRegistry handlers, ExecutionLog executions)
    {
        // Each handler records its run from start to end, so overlapping runs of one job would show.
        JobHandler Recorded(JobHandler handler) => async (job, ct) =>
        {
            var run = executions.Begin(job.Uuid, "e2e", Environment.ProcessId);
            try
            {
                return await handler(job, ct);
            }
            finally
            {
                executions.End(run, "finished");
            }
        };
        handlers.Register("e2e.job.quick", Recorded(async (_, _) =>
        {
            await Task.Yield();
            return "ok";
        }));
        handlers.Register("e2e.job.fail", Recorded((_, _) => throw new InvalidOperationException("the handler refuses this job")));
        handlers.Register("e2e.job.flaky", Recorded((job, _) =>
            job.Retry < 2 ? throw new RetryableJobException("not yet", TimeSpan.Zero) : Task.FromResult<string?>("third time lucky")));
    }

    private static async Task<(List<string> Quick, List<string> Failing, List<string> Flaky)> EnqueueMixAsync(TestDatabase database)
    {
        await using var connection = await database.OpenConnectionAsync();
        var enqueuer = new JobEnqueuer(await SchemaDetector.DetectAsync(connection, CancellationToken.None));
        async Task<List<string>> Add(string method, string channel, int count) =>
            [.. await enqueuer.EnqueueManyAsync(connection, [.. Enumerable.Range(0, count).Select(i => new NewJob { ModelName = "e2e.job", MethodName = method, Channel = channel, Priority = i % 3 })], null, CancellationToken.None)];
        var quick = await Add("quick", "root.a", 60);
        var failing = await Add("fail", "root.b", 8);
        var flaky = await Add("flaky", "root", 8);
        return (quick, failing, flaky);
    }

    private static async Task<IHost> StartRunnerAsync(TestDatabase database, Uri workerUrl, CollectorRegistry registry)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddQueueRunner(
            new RunnerOptions
            {
                Endpoint = database.Endpoint,
                Databases = [database.Name],
                Channels = "root:4,root.a:3,root.b:1",
                WorkerUrl = workerUrl,
                HttpTimeout = TimeSpan.FromSeconds(5),
            },
            registry);
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    private static async Task<string> ExportAsync(CollectorRegistry registry)
    {
        using var stream = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(stream);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    private static double Sum(string exposition, string metric, string labelFilter) =>
        exposition.Split('\n')
            .Where(l => l.StartsWith(metric + "{", StringComparison.Ordinal) && l.Contains(labelFilter, StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
}
