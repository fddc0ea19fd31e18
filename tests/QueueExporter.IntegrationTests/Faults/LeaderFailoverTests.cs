using System.Globalization;
using QueueExporter.TestSupport;
using Xunit.Abstractions;

namespace QueueExporter.IntegrationTests.Faults;

/// <summary>
/// Scenario 1: two real runner processes on one database, the leader SIGKILLed again and again while
/// an application keeps enqueueing. Each time, the standby must dispatch within 10 s of the kill, and
/// in the end every job is done or failed as its handler dictates, none ran twice at once.
/// </summary>
public sealed class LeaderFailoverTests(ITestOutputHelper output)
{
    private static readonly TimeSpan TakeoverPromise = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_standby_runner_takes_over_within_ten_seconds_of_each_leader_sigkill_and_no_job_is_lost_or_run_twice_at_once()
    {
        var settings = FaultSettings.FromEnvironment();
        var report = new FaultReport(output, "leader failover", settings);
        report.Start();
        var random = new Random(settings.Seed);
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateDatabaseAsync();
        var executions = new ExecutionLog();
        await using var worker = await RecordingWorker.StartAsync(database.Endpoint, executions);
        var runners = new List<QueueExporterProcess>();
        try
        {
            var leader = await FaultProcesses.StartLeaderAsync("runner-1", database, worker.BaseAddress);
            runners.Add(leader);
            var standby = await FaultProcesses.StartStandbyAsync("runner-2", database, worker.BaseAddress);
            runners.Add(standby);
            await using var stream = new JobStream(database, random.Next(), settings.StreamJobs, settings.Full ? TimeSpan.FromMilliseconds(100) : TimeSpan.FromMilliseconds(250), JobStream.MixedJobs);
            stream.Start();

            var takeovers = new List<TimeSpan>();
            for (var kill = 1; kill <= settings.LeaderKills; kill++)
            {
                // The kill moment is seeded: after the leader has sent a random number of further jobs.
                var target = leader.CountLines(FaultProcesses.Dispatching) + random.Next(5, 30);
                await Eventually.UntilAsync(() => leader.CountLines(FaultProcesses.Dispatching) >= target, TimeSpan.FromSeconds(30), $"{leader.Name} dispatches {target} jobs {settings.Replay}");
                await leader.KillAsync();
                var first = await standby.WaitForLineAsync(FaultProcesses.Dispatching, TimeSpan.FromSeconds(30), after: leader.KillSentAt);
                var takeover = first.ReceivedAt - leader.KillSentAt!.Value;
                takeovers.Add(takeover);
                report.Line($"kill {kill}: SIGKILL {leader.Name} (pid {leader.Pid}); {standby.Name} dispatched {takeover.TotalSeconds:0.00} s later");
                leader = standby;
                standby = await FaultProcesses.StartStandbyAsync($"runner-{kill + 2}", database, worker.BaseAddress);
                runners.Add(standby);
            }

            var jobs = await stream.FinishAsync(TimeSpan.FromSeconds(60));
            var rows = await JobAudit.WaitUntilSettledAsync(database, jobs, settings.SettleTimeout);
            var problems = JobAudit.Problems(jobs, rows);
            var overlaps = executions.Overlaps();
            var reruns = executions.RunsPerJob().Count(r => r.Value > 1);
            report.Line($"{jobs.Count} jobs ({JobAudit.Summary(rows)}), {settings.LeaderKills} leader kills, takeover max {takeovers.Max().TotalSeconds:0.00} s, "
                + $"mean {takeovers.Average(t => t.TotalSeconds):0.00} s; {executions.All.Count} handler runs, {reruns} jobs ran more than once (one after the other), {overlaps.Count} overlapping runs");

            var context = settings.Replay;
            var processTail = $"\nleader output:\n{leader.Tail()}";
            Assert.True(problems.Count == 0, $"{problems.Count} of {jobs.Count} jobs did not end as their handler dictates {context}:\n{string.Join('\n', problems.Take(20))}{processTail}");
            Assert.True(overlaps.Count == 0, $"jobs ran twice at once {context}:\n{string.Join('\n', overlaps.Take(10).Select(o => $"{o.First} | {o.Second}"))}{processTail}");
            Assert.All(takeovers, t => Assert.True(t < TakeoverPromise, $"takeover took {t.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture)} s {settings.Replay}"));
            var ranToDone = executions.All.Where(e => e.Outcome == "done").Select(e => e.Uuid).ToHashSet(StringComparer.Ordinal);
            Assert.All(jobs.Where(j => j.ExpectedState == "done"), j => Assert.Contains(j.Uuid, ranToDone));
        }
        finally
        {
            foreach (var runner in runners)
            {
                await runner.DisposeAsync();
            }
        }
    }
}
