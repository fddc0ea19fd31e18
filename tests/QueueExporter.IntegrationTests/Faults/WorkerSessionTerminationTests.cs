using Npgsql;
using QueueExporter.TestSupport;
using QueueExporter.Worker;
using Xunit.Abstractions;

namespace QueueExporter.IntegrationTests.Faults;

/// <summary>
/// Scenario 5: only the worker is cut off. Every PostgreSQL session of the worker is terminated
/// (<c>pg_terminate_backend</c> on its application_name) while long jobs run, so their queue_job_lock
/// rows are free at once while their handlers still run. The worker must cancel those handlers before
/// the runner's rescue requeues the jobs: no two runs of one job overlap, no job is lost, and the cut
/// runs show as lost runs in the worker's metrics.
/// </summary>
public sealed class WorkerSessionTerminationTests(ITestOutputHelper output)
{
    // Long jobs hold their slots for 6-8 s: twice the other scenarios' capacity keeps the stream flowing.
    private const string LongJobChannels = "root:8";

    [Fact]
    public async Task Jobs_whose_worker_sessions_are_terminated_mid_run_are_cancelled_before_their_rescue_and_complete_once_at_a_time()
    {
        var settings = FaultSettings.FromEnvironment();
        var report = new FaultReport(output, "worker sessions terminated", settings);
        report.Start();
        var random = new Random(settings.Seed);
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateDatabaseAsync();
        var executions = new ExecutionLog();
        await using var worker = await RecordingWorker.StartAsync(database.Endpoint, executions);
        await using var runner = await FaultProcesses.StartLeaderAsync("runner", database, worker.BaseAddress, LongJobChannels);
        await using var stream = new JobStream(database, random.Next(), settings.StreamJobs, settings.Full ? TimeSpan.FromMilliseconds(100) : TimeSpan.FromMilliseconds(250), JobStream.MixedWithLongJobs);
        stream.Start();

        var cut = 0L;
        for (var round = 1; round <= settings.SessionTerminations; round++)
        {
            // A seeded moment: after a few more jobs are done, while a long job is running.
            var doneBefore = executions.All.Count(e => e.Ended is not null);
            var more = random.Next(2, 10);
            await Eventually.UntilAsync(
                () => executions.All.Count(e => e.Ended is not null) >= doneBefore + more && DatabaseRestartTests.LongRunRunning(stream, executions),
                TimeSpan.FromSeconds(30),
                $"a long job runs before termination {round} {settings.Replay}");
            var terminated = await TerminateWorkerSessionsAsync(database);
            cut += terminated;
            report.Line($"termination {round}: {terminated} worker session(s) terminated with {executions.All.Count(e => e.Ended is null)} handler(s) running");
        }

        var jobs = await stream.FinishAsync(TimeSpan.FromSeconds(60));
        var rows = await JobAudit.WaitUntilSettledAsync(database, jobs, settings.SettleTimeout);
        var problems = JobAudit.Problems(jobs, rows);
        var overlaps = executions.Overlaps();
        var lostRuns = await worker.LostRunsAsync();
        report.Line($"{jobs.Count} jobs ({JobAudit.Summary(rows)}), {settings.SessionTerminations} terminations cutting {cut} sessions; "
            + $"{executions.All.Count} handler runs, {lostRuns} lost runs, {overlaps.Count} overlapping runs");
        foreach (var (first, second) in overlaps.Take(5))
        {
            report.Line($"overlap: {first} | {second}");
        }

        var context = settings.Replay;
        var processTail = $"\nrunner output:\n{runner.Tail()}";
        Assert.True(problems.Count == 0, $"{problems.Count} of {jobs.Count} jobs did not end as their handler dictates {context}:\n{string.Join('\n', problems.Take(20))}{processTail}");
        Assert.True(overlaps.Count == 0, $"jobs ran twice at once {context}:\n{string.Join('\n', overlaps.Take(10).Select(o => $"{o.First} | {o.Second}"))}{processTail}");
        Assert.True(lostRuns >= settings.SessionTerminations, $"{lostRuns} lost runs counted by the worker for {settings.SessionTerminations} terminations that each cut a running long job {context}");
    }

    private static async Task<long> TerminateWorkerSessionsAsync(TestDatabase database)
    {
        await using var connection = new NpgsqlConnection(database.Endpoint.ToConnectionString("qe-fault-probe", pooling: false));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND application_name = @app",
            connection);
        command.Parameters.AddWithValue("app", WorkerOptions.ApplicationName);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
