using System.Globalization;
using QueueExporter.TestSupport;
using Xunit.Abstractions;

namespace QueueExporter.IntegrationTests.Faults;

/// <summary>
/// The leader's network goes silent: every byte between the leader runner and PostgreSQL vanishes, no
/// connection is closed (a loopback proxy that stops forwarding). PostgreSQL must end the leader's
/// session so the standby leads within 30 s, and the old leader must dispatch nothing once the lock has
/// moved; every job still ends as its handler dictates, none twice at once.
/// </summary>
public sealed class NetworkPartitionTests(ITestOutputHelper output)
{
    private static readonly TimeSpan TakeoverPromise = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_silently_partitioned_leader_is_replaced_within_thirty_seconds_and_dispatches_nothing_after()
    {
        var settings = FaultSettings.FromEnvironment();
        var report = new FaultReport(output, "network partition", settings);
        report.Start();
        var random = new Random(settings.Seed);
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateDatabaseAsync();
        var executions = new ExecutionLog();
        await using var worker = await RecordingWorker.StartAsync(database.Endpoint, executions);
        await using var proxy = new FreezableTcpProxy(database.Endpoint.Host, database.Endpoint.Port);
        var proxied = $"postgres://{database.Endpoint.Username}@127.0.0.1:{proxy.Port}/{database.Name}";
        await using var leader = QueueExporterProcess.Start("runner-partitioned", [
            "runner", "--database-url", proxied, "--worker-url", worker.BaseAddress.ToString(), "--channels", "root:4", "--listen", "127.0.0.1:0",
            "--dead-job-grace", FaultProcesses.DeadJobGraceSeconds.ToString(CultureInfo.InvariantCulture), "--rescue-interval", "0.5",
        ]);
        await leader.WaitForLineAsync(FaultProcesses.Leading, TimeSpan.FromSeconds(30));
        await using var standby = await FaultProcesses.StartStandbyAsync("runner-standby", database, worker.BaseAddress);
        // As its siblings: in full mode a 250 ms gap makes 600 jobs take ~80 s, past the 60 s the stream is given after the takeover.
        await using var stream = new JobStream(database, random.Next(), settings.StreamJobs, settings.Full ? TimeSpan.FromMilliseconds(100) : TimeSpan.FromMilliseconds(250), JobStream.MixedJobs);
        stream.Start();

        var target = random.Next(5, 20);
        await Eventually.UntilAsync(() => leader.CountLines(FaultProcesses.Dispatching) >= target, TimeSpan.FromSeconds(30), $"the leader dispatches {target} jobs {settings.Replay}");
        proxy.Freeze();
        var frozenAt = DateTimeOffset.UtcNow;
        var first = await standby.WaitForLineAsync(FaultProcesses.Dispatching, TakeoverPromise + TimeSpan.FromSeconds(15), after: frozenAt);
        var takeover = first.ReceivedAt - frozenAt;
        report.Line($"partition after {target} dispatches; the standby dispatched {takeover.TotalSeconds:0.00} s later");

        var jobs = await stream.FinishAsync(TimeSpan.FromSeconds(60));
        var rows = await JobAudit.WaitUntilSettledAsync(database, jobs, settings.SettleTimeout);
        var problems = JobAudit.Problems(jobs, rows);
        var overlaps = executions.Overlaps();
        var late = leader.Lines.Where(l => l.Text.Contains(FaultProcesses.Dispatching, StringComparison.Ordinal) && l.ReceivedAt >= first.ReceivedAt).ToList();
        report.Line($"{jobs.Count} jobs ({JobAudit.Summary(rows)}); {executions.All.Count} handler runs, {overlaps.Count} overlapping runs; "
            + $"{late.Count} dispatches by the partitioned leader after the standby led");

        var context = $"{settings.Replay}\nold leader:\n{leader.Tail()}\nstandby:\n{standby.Tail()}";
        Assert.True(takeover <= TakeoverPromise, $"takeover took {takeover.TotalSeconds:0.00} s {context}");
        Assert.True(late.Count == 0, $"the partitioned leader dispatched after the standby led: {string.Join('\n', late.Select(l => l.Text))} {context}");
        Assert.True(problems.Count == 0, $"{problems.Count} of {jobs.Count} jobs did not end as their handler dictates {context}:\n{string.Join('\n', problems.Take(20))}");
        Assert.True(overlaps.Count == 0, $"jobs ran twice at once {context}:\n{string.Join('\n', overlaps.Take(10).Select(o => $"{o.First} | {o.Second}"))}");
    }
}
