using QueueExporter.TestSupport;
using Xunit.Abstractions;

namespace QueueExporter.IntegrationTests.Faults;

/// <summary>
/// Scenario 4: the workers' front answers 500 to every runjob call for a while (an overloaded or broken
/// Odoo), then refuses connections for a while (workers down), while jobs stream in. The runner must
/// neither lose a job nor give up on one: every job ends as its handler dictates once workers answer,
/// and none runs twice at once.
/// </summary>
public sealed class UnreliableWorkerTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Jobs_survive_a_worker_answering_500_and_then_refusing_connections()
    {
        var settings = FaultSettings.FromEnvironment();
        var report = new FaultReport(output, "unreliable worker", settings);
        report.Start();
        var random = new Random(settings.Seed);
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateDatabaseAsync();
        var executions = new ExecutionLog();
        await using var worker = await RecordingWorker.StartAsync(database.Endpoint, executions);
        await using var front = await WorkerFront.StartAsync([worker.BaseAddress], random.Next());
        await using var runner = await FaultProcesses.StartLeaderAsync("runner", database, front.BaseAddress);
        await using var stream = new JobStream(database, random.Next(), settings.StreamJobs, settings.Full ? TimeSpan.FromMilliseconds(100) : TimeSpan.FromMilliseconds(250), JobStream.MixedJobs);
        stream.Start();

        for (var outage = 1; outage <= settings.WorkerOutages; outage++)
        {
            await RunsMoreJobsAsync(executions, random.Next(3, 12), settings);
            var errors = TimeSpan.FromSeconds(1 + (random.NextDouble() * 3));
            var answered500 = front.Answered500;
            front.Answer500(on: true);

            // Each outage lasts a chosen time: this is the fault itself, not a wait for a condition.
            await Task.Delay(errors);
            front.Answer500(on: false);
            report.Line($"outage {outage}: answered 500 for {errors.TotalSeconds:0.0} s ({front.Answered500 - answered500} runjob calls)");

            await RunsMoreJobsAsync(executions, random.Next(3, 12), settings);
            var refusal = TimeSpan.FromSeconds(1 + (random.NextDouble() * 3));
            var refusedBefore = runner.CountLines("exception in GET");
            await front.RefuseConnectionsAsync();
            await Task.Delay(refusal);
            await front.ServeAsync();
            report.Line($"outage {outage}: refused connections for {refusal.TotalSeconds:0.0} s ({runner.CountLines("exception in GET") - refusedBefore} runjob calls failed to connect)");
        }

        var jobs = await stream.FinishAsync(TimeSpan.FromSeconds(60));
        var rows = await JobAudit.WaitUntilSettledAsync(database, jobs, settings.SettleTimeout);
        var problems = JobAudit.Problems(jobs, rows);
        var overlaps = executions.Overlaps();
        report.Line($"{jobs.Count} jobs ({JobAudit.Summary(rows)}), {settings.WorkerOutages} outage cycles, {front.Answered500} calls answered 500, "
            + $"{runner.CountLines("exception in GET")} calls refused, {runner.CountLines("Re-queued dead job")} dead-job requeues; {executions.All.Count} handler runs, {overlaps.Count} overlapping runs");

        var context = settings.Replay;
        var processTail = $"\nrunner output:\n{runner.Tail()}";
        Assert.True(front.Answered500 > 0, $"the 500 phase should have met runjob calls {settings.Replay}");
        Assert.True(problems.Count == 0, $"{problems.Count} of {jobs.Count} jobs did not end as their handler dictates {context}:\n{string.Join('\n', problems.Take(20))}{processTail}");
        Assert.True(overlaps.Count == 0, $"jobs ran twice at once {context}:\n{string.Join('\n', overlaps.Take(10).Select(o => $"{o.First} | {o.Second}"))}{processTail}");
        var ranToDone = executions.All.Where(e => e.Outcome == "done").Select(e => e.Uuid).ToHashSet(StringComparer.Ordinal);
        Assert.All(jobs.Where(j => j.ExpectedState == "done"), j => Assert.Contains(j.Uuid, ranToDone));
    }

    private static async Task RunsMoreJobsAsync(ExecutionLog executions, int more, FaultSettings settings)
    {
        var before = executions.All.Count(e => e.Ended is not null);
        await Eventually.UntilAsync(() => executions.All.Count(e => e.Ended is not null) >= before + more, TimeSpan.FromSeconds(30), $"{more} more jobs run {settings.Replay}");
    }
}
