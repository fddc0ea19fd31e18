using Npgsql;
using QueueExporter.TestSupport;
using Xunit.Abstractions;

namespace QueueExporter.IntegrationTests.Faults;

/// <summary>
/// Scenario 3: PostgreSQL itself is stopped (fast shutdown: every session is cut) and started again
/// while jobs stream in and some are running. The runner process and the worker must reconnect on
/// their own, and every job still ends as its handler dictates, never running twice at once. Long
/// jobs (longer than the grace plus the outage) are running at every restart: their lock sessions die
/// with it, so their handlers must stop (counted as lost runs) before the rescue requeues the jobs.
/// </summary>
public sealed class DatabaseRestartTests(ITestOutputHelper output)
{
    // Long jobs hold their slots for 6-8 s: twice the other scenarios' capacity keeps the stream flowing.
    private const string LongJobChannels = "root:8";

    [Fact]
    public async Task Runner_and_worker_recover_from_postgresql_restarts_and_every_job_completes_once_at_a_time()
    {
        var settings = FaultSettings.FromEnvironment();
        var report = new FaultReport(output, "database restarts", settings);
        report.Start();
        var random = new Random(settings.Seed);
        await using var server = await PostgresServer.StartDedicatedAsync();
        await using var database = await server.CreateDatabaseAsync();
        var executions = new ExecutionLog();
        await using var worker = await RecordingWorker.StartAsync(database.Endpoint, executions);
        await using var runner = await FaultProcesses.StartLeaderAsync("runner", database, worker.BaseAddress, LongJobChannels);
        await using var stream = new JobStream(database, random.Next(), settings.StreamJobs, settings.Full ? TimeSpan.FromMilliseconds(100) : TimeSpan.FromMilliseconds(250), JobStream.MixedWithLongJobs);
        stream.Start();

        var recoveries = new List<TimeSpan>();
        for (var restart = 1; restart <= settings.DatabaseRestarts; restart++)
        {
            // A seeded moment: after a few more jobs are done, while at least one long job is running.
            var doneBefore = executions.All.Count(e => e.Ended is not null);
            var more = random.Next(3, 15);
            await Eventually.UntilAsync(
                async () => executions.All.Count(e => e.Ended is not null) >= doneBefore + more && LongRunRunning(stream, executions) && await StartedCountAsync(database) > 0,
                TimeSpan.FromSeconds(30),
                $"jobs run before restart {restart} {settings.Replay}");
            var downtime = TimeSpan.FromSeconds(0.5 + (random.NextDouble() * 2.5));
            var running = executions.All.Count(e => e.Ended is null);
            await server.StopAsync();
            var stoppedAt = DateTimeOffset.UtcNow;

            // The outage lasts a chosen time: this is the fault itself, not a wait for a condition.
            await Task.Delay(downtime);
            await server.StartAsync();
            var upAt = DateTimeOffset.UtcNow;
            var resumed = await runner.WaitForLineAsync(FaultProcesses.Dispatching, TimeSpan.FromSeconds(30), after: upAt);
            recoveries.Add(resumed.ReceivedAt - upAt);
            report.Line($"restart {restart}: PostgreSQL down {(upAt - stoppedAt).TotalSeconds:0.0} s with {running} handler(s) running; runner dispatching again {(resumed.ReceivedAt - upAt).TotalSeconds:0.00} s after it was back");
        }

        var jobs = await stream.FinishAsync(TimeSpan.FromSeconds(60));
        var rows = await JobAudit.WaitUntilSettledAsync(database, jobs, settings.SettleTimeout);
        var problems = JobAudit.Problems(jobs, rows);
        var overlaps = executions.Overlaps();
        var lostRuns = await worker.LostRunsAsync();
        report.Line($"{jobs.Count} jobs ({JobAudit.Summary(rows)}), {settings.DatabaseRestarts} restarts, {stream.FailedInserts} inserts retried by the application, "
            + $"runner back within max {recoveries.Max().TotalSeconds:0.00} s; {executions.All.Count} handler runs, {lostRuns} lost runs, {overlaps.Count} overlapping runs");
        foreach (var (first, second) in overlaps.Take(5))
        {
            report.Line($"overlap: {first} | {second}");
        }

        var context = settings.Replay;
        var processTail = $"\nrunner output:\n{runner.Tail()}";
        Assert.True(problems.Count == 0, $"{problems.Count} of {jobs.Count} jobs did not end as their handler dictates {context}:\n{string.Join('\n', problems.Take(20))}{processTail}");
        Assert.True(overlaps.Count == 0, $"jobs ran twice at once {context}:\n{string.Join('\n', overlaps.Take(10).Select(o => $"{o.First} | {o.Second}"))}{processTail}");
        Assert.True(lostRuns >= 1, $"a long job ran at every restart, yet the worker counted no lost run {context}");
        var ranToDone = executions.All.Where(e => e.Outcome == "done").Select(e => e.Uuid).ToHashSet(StringComparer.Ordinal);
        Assert.All(jobs.Where(j => j.ExpectedState == "done"), j => Assert.Contains(j.Uuid, ranToDone));
    }

    /// <summary>Whether a handler of a long job (see <see cref="JobStream.MixedWithLongJobs"/>) is running now.</summary>
    internal static bool LongRunRunning(JobStream stream, ExecutionLog executions)
    {
        var longJobs = stream.Jobs.Where(j => j.Seconds >= 6).Select(j => j.Uuid).ToHashSet(StringComparer.Ordinal);
        return executions.All.Any(e => e.Ended is null && longJobs.Contains(e.Uuid));
    }

    private static async Task<long> StartedCountAsync(TestDatabase database)
    {
        // Unpooled: a pooled connection from before the last restart would be dead.
        await using var connection = new NpgsqlConnection(database.Endpoint.ToConnectionString("qe-fault-probe", pooling: false));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM queue_job WHERE state = 'started'", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
