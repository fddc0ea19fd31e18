using Npgsql;
using QueueExporter.TestSupport;
using Xunit.Abstractions;

namespace QueueExporter.IntegrationTests.Faults;

/// <summary>
/// Scenario 2: real worker processes behind a load balancer are SIGKILLed while they run slow jobs,
/// and replaced. The jobs they held are found dead (their queue_job_lock row is free once the process
/// is gone), put back to pending and run to completion elsewhere: none lost, none twice at once.
/// </summary>
public sealed class WorkerCrashTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Jobs_of_workers_killed_mid_job_are_rescued_and_completed_once_at_a_time()
    {
        var settings = FaultSettings.FromEnvironment();
        var report = new FaultReport(output, "worker crashes", settings);
        report.Start();
        var random = new Random(settings.Seed);
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateDatabaseAsync();
        var workers = new List<QueueExporterProcess>();
        var live = new List<(QueueExporterProcess Process, Uri Address)>();
        try
        {
            for (var i = 1; i <= 2; i++)
            {
                var started = await FaultProcesses.StartWorkerAsync($"worker-{i}", database);
                workers.Add(started.Process);
                live.Add(started);
            }

            await using var front = await WorkerFront.StartAsync(live.Select(w => w.Address), random.Next());
            await using var runner = await FaultProcesses.StartLeaderAsync("runner", database, front.BaseAddress, channels: "root:8");
            await using var stream = new JobStream(database, random.Next(), settings.SlowJobs, settings.Full ? TimeSpan.FromMilliseconds(250) : TimeSpan.FromMilliseconds(700), r => (Math.Round(0.5 + (r.NextDouble() * 3), 3), "ok"), "queue.demo", "slow");
            stream.Start();

            for (var kill = 1; kill <= settings.WorkerKills; kill++)
            {
                // A seeded victim, killed once it is in the middle of a job.
                var victim = live[random.Next(live.Count)];
                var startedBefore = victim.Process.CountLines("running job ");
                var more = random.Next(1, 4);
                await Eventually.UntilAsync(
                    async () => victim.Process.CountLines("running job ") >= startedBefore + more && await RunningOnAsync(database, victim.Process.Pid) > 0,
                    TimeSpan.FromSeconds(30),
                    $"{victim.Process.Name} is running a job {settings.Replay}");
                var running = await RunningOnAsync(database, victim.Process.Pid);
                await victim.Process.KillAsync();
                live.Remove(victim);
                var replacement = await FaultProcesses.StartWorkerAsync($"worker-{workers.Count + 1}", database);
                workers.Add(replacement.Process);
                live.Add(replacement);
                front.SetBackends(live.Select(w => w.Address));
                report.Line($"kill {kill}: SIGKILL {victim.Process.Name} (pid {victim.Process.Pid}) with {running} job(s) started; {replacement.Process.Name} replaces it");
            }

            var jobs = await stream.FinishAsync(TimeSpan.FromSeconds(60));
            var rows = await JobAudit.WaitUntilSettledAsync(database, jobs, settings.SettleTimeout);
            ExecutionLog ReadExecutions()
            {
                var log = new ExecutionLog();
                foreach (var worker in workers)
                {
                    WorkerLogReader.AddExecutions(log, worker);
                }

                return log;
            }

            // A run ended done when its line says so, or when its worker was SIGKILLed between its commit of
            // done and that line: the row is then done and still names that run's worker (worker_pid is the
            // process id, and a later run by another worker would have written its own).
            HashSet<string> RanToDone(ExecutionLog log) => log.All
                .Where(e => e.Outcome == "done" || (e.Outcome == "killed" && rows.TryGetValue(e.Uuid, out var row) && row.State == "done" && row.WorkerPid == e.Pid))
                .Select(e => e.Uuid)
                .ToHashSet(StringComparer.Ordinal);

            // A row says done as soon as the worker commits; the line saying so is written after the commit
            // and read by the test a moment later. Wait for those lines (bounded); the assertions below
            // still fail, with details, for a job whose run never ended done.
            try
            {
                await Eventually.UntilAsync(
                    () => RanToDone(ReadExecutions()) is var done && jobs.All(j => done.Contains(j.Uuid)),
                    TimeSpan.FromSeconds(30),
                    "every done job's line read from its worker's output");
            }
            catch (TimeoutException)
            {
                // Reported by the assertions below.
            }

            var executions = ReadExecutions();

            var problems = JobAudit.Problems(jobs, rows);
            var overlaps = executions.Overlaps();
            var killedRuns = executions.All.Where(e => e.Outcome == "killed").ToList();
            var rescuedDone = killedRuns.Select(e => e.Uuid).Distinct(StringComparer.Ordinal).Count(u => rows.TryGetValue(u, out var row) && row.State == "done");
            report.Line($"{jobs.Count} slow jobs ({JobAudit.Summary(rows)}), {settings.WorkerKills} worker kills cut {killedRuns.Count} runs short, {rescuedDone} of those jobs rescued and done; "
                + $"{executions.All.Count} handler runs, {overlaps.Count} overlapping runs");

            var context = settings.Replay;
            var processTail = $"\nrunner output:\n{runner.Tail()}";
            Assert.True(problems.Count == 0, $"{problems.Count} of {jobs.Count} jobs did not end done {context}:\n{string.Join('\n', problems.Take(20))}{processTail}");
            Assert.True(overlaps.Count == 0, $"jobs ran twice at once {context}:\n{string.Join('\n', overlaps.Take(10).Select(o => $"{o.First} | {o.Second}"))}{processTail}");
            Assert.True(killedRuns.Count >= settings.WorkerKills, $"every kill should cut a run short, saw {killedRuns.Count} {settings.Replay}");
            Assert.Equal(killedRuns.Select(e => e.Uuid).Distinct(StringComparer.Ordinal).Count(), rescuedDone);
            var ranToDone = RanToDone(executions);
            Assert.All(jobs, j => Assert.Contains(j.Uuid, ranToDone));
        }
        finally
        {
            foreach (var worker in workers)
            {
                await worker.DisposeAsync();
            }
        }
    }

    private static async Task<long> RunningOnAsync(TestDatabase database, int pid)
    {
        await using var connection = await database.OpenConnectionAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM queue_job WHERE state = 'started' AND worker_pid = @pid", connection);
        command.Parameters.AddWithValue("pid", pid);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
