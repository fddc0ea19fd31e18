using System.Globalization;
using Npgsql;
using QueueExporter.TestSupport;
using Xunit.Abstractions;

namespace QueueExporter.IntegrationTests.Faults;

/// <summary>
/// Two runners race over one database while the leader lock flaps: the leader's session is terminated
/// again and again at seeded moments, and either runner may take the lock next. Judged from the
/// worker's side: the channel's capacity is never exceeded across both runners, no job runs twice at
/// once, none is lost.
/// </summary>
public sealed class LockFlappingTests(ITestOutputHelper output)
{
    private const int Capacity = 3;

    [Fact]
    public async Task Two_runners_racing_for_a_flapping_lock_never_exceed_a_channels_capacity_together()
    {
        var settings = FaultSettings.FromEnvironment();
        var report = new FaultReport(output, "lock flapping", settings);
        report.Start();
        var random = new Random(settings.Seed);
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateDatabaseAsync();
        var executions = new ExecutionLog();
        await using var worker = await RecordingWorker.StartAsync(database.Endpoint, executions);
        QueueExporterProcess Runner(string name) => QueueExporterProcess.Start(name, [
            "runner", "--database-url", database.Url, "--worker-url", worker.BaseAddress.ToString(), "--channels", $"root:{Capacity}", "--listen", "127.0.0.1:0",
            "--dead-job-grace", FaultProcesses.DeadJobGraceSeconds.ToString(CultureInfo.InvariantCulture), "--rescue-interval", "0.5",
            "--standby-retry-interval", "0.2",
        ]);
        await using var first = Runner("runner-a");
        await using var second = Runner("runner-b");
        await using var stream = new JobStream(database, random.Next(), settings.StreamJobs, TimeSpan.FromMilliseconds(100), JobStream.MixedJobs);
        stream.Start();

        var flaps = settings.Full ? 40 : 10;
        var terminated = 0;
        await using (var admin = await server.OpenAdminAsync())
        {
            for (var flap = 0; flap < flaps; flap++)
            {
                // The moment is chosen by the seed; this wait is the fault's schedule, not a wait for a condition.
                await Task.Delay(TimeSpan.FromMilliseconds(300 + random.Next(1200)));
                await using var command = new NpgsqlCommand(
                    "SELECT count(pg_terminate_backend(l.pid)) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
                    + "WHERE d.datname = @db AND l.locktype = 'advisory' AND l.granted AND l.classid = 534064080 AND l.objid = 3147384238",
                    admin);
                command.Parameters.AddWithValue("db", database.Name);
                terminated += (int)(long)(await command.ExecuteScalarAsync())!;
            }
        }

        var jobs = await stream.FinishAsync(TimeSpan.FromSeconds(60));
        var rows = await JobAudit.WaitUntilSettledAsync(database, jobs, settings.SettleTimeout);
        var problems = JobAudit.Problems(jobs, rows);
        var overlaps = executions.Overlaps();
        var (peak, at) = PeakConcurrency(executions.All);
        var leads = first.CountLines(FaultProcesses.Leading) + second.CountLines(FaultProcesses.Leading);
        report.Line($"{jobs.Count} jobs ({JobAudit.Summary(rows)}), {terminated} leader sessions terminated, {leads} leases taken; "
            + $"{executions.All.Count} handler runs, peak {peak} at once (capacity {Capacity}), {overlaps.Count} overlapping runs");

        var context = $"{settings.Replay}\nrunner-a:\n{first.Tail()}\nrunner-b:\n{second.Tail()}";
        Assert.True(peak <= Capacity, $"{peak} handlers ran at once at {at:HH:mm:ss.fff} with capacity {Capacity} {context}");
        Assert.True(problems.Count == 0, $"{problems.Count} of {jobs.Count} jobs did not end as their handler dictates {context}:\n{string.Join('\n', problems.Take(20))}");
        Assert.True(overlaps.Count == 0, $"jobs ran twice at once {context}:\n{string.Join('\n', overlaps.Take(10).Select(o => $"{o.First} | {o.Second}"))}");
    }

    /// <summary>Most handler runs in progress at one instant (a run that never ended counts until now).</summary>
    internal static (int Peak, DateTimeOffset At) PeakConcurrency(IReadOnlyList<JobExecution> runs)
    {
        var now = DateTimeOffset.UtcNow;
        // Ends sort before starts at the same instant: a job finishing as the next starts is not an overlap.
        var events = runs.SelectMany(r => new[] { (At: r.Started, Delta: 1), (At: r.Ended ?? now, Delta: -1) })
            .OrderBy(e => e.At).ThenBy(e => e.Delta);
        int current = 0, peak = 0;
        var peakAt = now;
        foreach (var (moment, delta) in events)
        {
            current += delta;
            if (current > peak)
            {
                (peak, peakAt) = (current, moment);
            }
        }

        return (peak, peakAt);
    }
}
