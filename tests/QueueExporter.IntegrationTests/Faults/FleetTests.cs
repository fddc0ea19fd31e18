using System.Globalization;
using System.Net;
using Dapper;
using QueueExporter.QueueJob.Connection;
using QueueExporter.IntegrationTests.Runner;
using QueueExporter.TestSupport;
using Xunit.Abstractions;

namespace QueueExporter.IntegrationTests.Faults;

/// <summary>
/// Three runner replicas share sixty databases on one server (a hosting platform in miniature): each
/// leads its share, a SIGKILLed replica's databases are led again by the others within 30 s, and a
/// restarted replica gets its share back by orderly hand-over. Judged from the worker's side while jobs
/// flow into every database: no job runs twice at once, no database ever runs more jobs at once than
/// its channel capacity (scope: database), no job is lost; and the runners hold at most 1.05
/// connections per database at rest.
/// </summary>
[Collection(RunsAlone.Name)]
public sealed class FleetTests(ITestOutputHelper output)
{
    private const int Databases = 60;
    private const int Replicas = 3;
    private const int Capacity = 2;
    private const long OcaKeyHigh = 534064080;
    private const long OcaKeyLow = 3147384238;
    private static readonly TimeSpan TakeOverDeadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Three_replicas_share_sixty_databases_take_over_a_killed_ones_share_and_give_it_back()
    {
        var settings = FaultSettings.FromEnvironment();
        var report = new FaultReport(output, "fleet", settings);
        report.Start();
        var random = new Random(settings.Seed);
        await using var server = await PostgresServer.StartDedicatedAsync();
        var databases = new List<TestDatabase>();
        var streams = new List<JobStream>();
        var replicas = new QueueExporterProcess?[Replicas];
        try
        {
            for (var i = 0; i < Databases; i++)
            {
                databases.Add(await server.CreateDatabaseAsync());
            }

            var executions = new ExecutionLog();
            await using var worker = await RecordingWorker.StartAsync(DatabaseEndpoint.Parse(ServerUrl(server)), executions);
            var serverUrl = ServerUrl(server);
            var ports = Enumerable.Range(0, Replicas).Select(_ => RunnerCommandTests.UnusedPort()).ToArray();
            QueueExporterProcess StartReplica(int i) => QueueExporterProcess.Start($"replica-{i}", [
                "runner", "--database-url", serverUrl, "--worker-url", worker.BaseAddress.ToString(), "--channels", $"root:{Capacity}",
                "--listen", $"127.0.0.1:{ports[i]}", "--fleet", "--capacity-scope", "database", "--fleet-interval", "1s",
                "--discovery-interval", "5s", "--standby-retry-interval", "1s", "--rescue-interval", "0.5",
                "--dead-job-grace", FaultProcesses.DeadJobGraceSeconds.ToString(CultureInfo.InvariantCulture),
            ]);
            for (var i = 0; i < Replicas; i++)
            {
                replicas[i] = StartReplica(i);
            }

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            await WaitForShareAsync(http, ports, [0, 1, 2], "three replicas each lead 20 ± 1", report);

            foreach (var database in databases)
            {
                var stream = new JobStream(database, random.Next(), settings.Full ? 10 : 3, TimeSpan.FromSeconds(settings.Full ? 2 : 4), JobStream.MixedJobs);
                stream.Start();
                streams.Add(stream);
            }

            var victim = random.Next(Replicas);
            await replicas[victim]!.KillAsync();
            var killedAt = DateTimeOffset.UtcNow;
            await Eventually.UntilAsync(
                async () => await LedDatabasesAsync(server) == Databases,
                TakeOverDeadline,
                $"every database is led again within {TakeOverDeadline.TotalSeconds} s of SIGKILL to replica-{victim}");
            report.Line($"replica-{victim} SIGKILLed: all {Databases} databases led again after {(DateTimeOffset.UtcNow - killedAt).TotalSeconds:0.0} s");
            var survivors = Enumerable.Range(0, Replicas).Where(i => i != victim).ToArray();
            await WaitForShareAsync(http, ports, survivors, "the two survivors each lead 30", report);

            await replicas[victim]!.DisposeAsync();
            replicas[victim] = StartReplica(victim);
            await WaitForShareAsync(http, ports, [0, 1, 2], "the restarted replica gets its share back", report);

            var jobs = new Dictionary<string, (TestDatabase Database, IReadOnlyList<StreamedJob> Jobs)>();
            foreach (var (database, stream) in databases.Zip(streams))
            {
                jobs[database.Name] = (database, await stream.FinishAsync(TimeSpan.FromSeconds(90)));
            }

            var problems = new List<string>();
            foreach (var (database, streamed) in jobs.Values)
            {
                problems.AddRange(JobAudit.Problems(streamed, await JobAudit.WaitUntilSettledAsync(database, streamed, settings.SettleTimeout)));
            }

            var databaseOf = jobs.Values.SelectMany(j => j.Jobs.Select(s => (s.Uuid, j.Database.Name))).ToDictionary(p => p.Uuid, p => p.Name);
            var overCapacity = executions.All.GroupBy(e => databaseOf.GetValueOrDefault(e.Uuid, "?"))
                .Select(g => (Database: g.Key, Peak: LockFlappingTests.PeakConcurrency([.. g]).Peak))
                .Where(p => p.Peak > Capacity)
                .ToList();
            var overlaps = executions.Overlaps();
            var handOvers = replicas.Sum(r => r!.CountLines("handing over to another replica"));
            report.Line($"{jobs.Values.Sum(j => j.Jobs.Count)} jobs over {Databases} databases, {executions.All.Count} handler runs, "
                + $"{handOvers} orderly hand-overs, {overlaps.Count} overlapping runs, {overCapacity.Count} databases over capacity");

            await using var admin = await server.OpenAdminAsync();
            long connections = 0;
            // Pooled connections close once a database has had no work for 5 s: at rest, one listening session per database and one membership session per replica.
            await Eventually.UntilAsync(
                async () => (connections = await admin.ExecuteScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'queue-exporter-runner'")) <= Databases * 105 / 100,
                TimeSpan.FromSeconds(60),
                $"at most {Databases * 105 / 100} runner connections at rest for {Databases} databases");
            report.Line($"{connections} runner connections at rest for {Databases} databases and {Replicas} replicas");

            var context = $"{settings.Replay}\n" + string.Join('\n', replicas.Select(r => $"{r!.Name}:\n{r.Tail(15)}"));
            Assert.True(overlaps.Count == 0, $"jobs ran twice at once {context}:\n{string.Join('\n', overlaps.Take(10).Select(o => $"{o.First} | {o.Second}"))}");
            Assert.True(overCapacity.Count == 0, $"databases ran more than {Capacity} jobs at once: {string.Join(", ", overCapacity)} {context}");
            Assert.True(problems.Count == 0, $"{problems.Count} jobs did not end as their handler dictates {context}:\n{string.Join('\n', problems.Take(20))}");
        }
        finally
        {
            foreach (var stream in streams)
            {
                await stream.DisposeAsync();
            }

            foreach (var replica in replicas)
            {
                if (replica is not null)
                {
                    await replica.DisposeAsync();
                }
            }

            foreach (var database in databases)
            {
                await database.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_database_locked_the_way_OCAs_runner_locks_it_is_never_led_by_a_replica_while_the_lock_is_held()
    {
        var settings = FaultSettings.FromEnvironment();
        await using var server = await PostgresServer.StartDedicatedAsync();
        var databases = new List<TestDatabase>();
        var replicas = new List<QueueExporterProcess>();
        try
        {
            for (var i = 0; i < 6; i++)
            {
                databases.Add(await server.CreateDatabaseAsync());
            }

            var neighbourDatabase = databases[0];
            // OCA's runner: one session per database holding the bigint advisory key for as long as it runs.
            await using var neighbour = await neighbourDatabase.OpenConnectionAsync();
            await neighbour.ExecuteAsync("SELECT pg_advisory_lock(2293787760715711918)");
            var executions = new ExecutionLog();
            await using var worker = await RecordingWorker.StartAsync(DatabaseEndpoint.Parse(ServerUrl(server)), executions);
            var serverUrl = ServerUrl(server);
            var ports = new[] { RunnerCommandTests.UnusedPort(), RunnerCommandTests.UnusedPort() };
            foreach (var port in ports)
            {
                replicas.Add(QueueExporterProcess.Start($"replica-{port}", [
                    "runner", "--database-url", serverUrl, "--worker-url", worker.BaseAddress.ToString(), "--listen", $"127.0.0.1:{port}",
                    "--fleet", "--fleet-interval", "1s", "--standby-retry-interval", "1s",
                ]));
            }

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            await Eventually.UntilAsync(
                async () => (await LedByAsync(http, ports)).Sum() == databases.Count - 1,
                TimeSpan.FromSeconds(60),
                "the replicas lead every database but the neighbour's");
            await using (var stream = new JobStream(neighbourDatabase, settings.Seed, 3, TimeSpan.FromMilliseconds(200), _ => (0.01, "ok")))
            {
                stream.Start();
                var held = await stream.FinishAsync(TimeSpan.FromSeconds(30));

                // The replica the database is assigned to tries the lock and stands by (either replica may be that one).
                await Eventually.UntilAsync(() => replicas.Any(r => r.FindLine("standing by") is not null), TimeSpan.FromSeconds(30), "a replica stands by for the neighbour's database");
                // The invariant itself: the database's lock is the neighbour's, and none of its jobs ran.
                Assert.Equal(await NeighbourPidAsync(neighbour), await LeaderPidAsync(server, neighbourDatabase.Name));
                Assert.DoesNotContain(executions.All, e => held.Any(j => j.Uuid == e.Uuid));

                await neighbour.ExecuteAsync("SELECT pg_advisory_unlock(2293787760715711918)");
                var rows = await JobAudit.WaitUntilSettledAsync(neighbourDatabase, held, TimeSpan.FromSeconds(30));
                Assert.Empty(JobAudit.Problems(held, rows));
            }

            await Eventually.UntilAsync(
                async () => (await LedByAsync(http, ports)).Sum() == databases.Count,
                TimeSpan.FromSeconds(30),
                "a replica leads the neighbour's database once it lets go");
        }
        finally
        {
            foreach (var replica in replicas)
            {
                await replica.DisposeAsync();
            }

            foreach (var database in databases)
            {
                await database.DisposeAsync();
            }
        }
    }

    /// <summary>Waits until the replicas in <paramref name="alive"/> each lead their share (⌈D/N⌉ at most, ⌊D/N⌋ − 1 at least) and together all.</summary>
    private static async Task WaitForShareAsync(HttpClient http, int[] ports, int[] alive, string because, FaultReport report)
    {
        var share = Databases / alive.Length;
        int[] led = [];
        var started = DateTimeOffset.UtcNow;
        await Eventually.UntilAsync(
            async () =>
            {
                led = await LedByAsync(http, [.. alive.Select(i => ports[i])]);
                return led.Sum() == Databases && led.All(n => n >= share - 1 && n <= share + 1);
            },
            // Generous: a starting replica lists the server's databases first (a connection to each), slow on a loaded machine.
            TimeSpan.FromSeconds(180),
            because);
        report.Line($"{because}: {string.Join(" / ", led)} after {(DateTimeOffset.UtcNow - started).TotalSeconds:0.0} s");
    }

    /// <summary>queue_runner_databases_led of each replica (-1 while one does not answer).</summary>
    private static async Task<int[]> LedByAsync(HttpClient http, int[] ports)
    {
        var led = new int[ports.Length];
        for (var i = 0; i < ports.Length; i++)
        {
            try
            {
                var metrics = await http.GetStringAsync(new Uri($"http://127.0.0.1:{ports[i]}/metrics"));
                var line = metrics.Split('\n').Single(l => l.StartsWith("queue_runner_databases_led ", StringComparison.Ordinal));
                led[i] = (int)double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet (a replica just started), or too slow on a loaded machine: asked again at the next poll.
                led[i] = -1;
            }
        }

        return led;
    }

    /// <summary>Databases on the server whose OCA leader lock some session holds now.</summary>
    private static async Task<long> LedDatabasesAsync(PostgresServer server)
    {
        await using var admin = await server.OpenAdminAsync();
        return await admin.ExecuteScalarAsync<long>(
            "SELECT count(DISTINCT l.database) FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
            + "AND l.classid::bigint = @high AND l.objid::bigint = @low",
            new { high = OcaKeyHigh, low = OcaKeyLow });
    }

    private static async Task<int?> LeaderPidAsync(PostgresServer server, string database)
    {
        await using var admin = await server.OpenAdminAsync();
        return await admin.ExecuteScalarAsync<int?>(
            "SELECT l.pid FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE d.datname = @database AND l.locktype = 'advisory' "
            + "AND l.granted AND l.objsubid = 1 AND l.classid::bigint = @high AND l.objid::bigint = @low",
            new { database, high = OcaKeyHigh, low = OcaKeyLow });
    }

    /// <summary>The server without a database: runners and the worker discover the databases.</summary>
    private static string ServerUrl(PostgresServer server) => $"postgres://{server.AdminEndpoint.Username}@{server.AdminEndpoint.Host}:{server.AdminEndpoint.Port}/";

    private static Task<int> NeighbourPidAsync(Npgsql.NpgsqlConnection neighbour) => neighbour.ExecuteScalarAsync<int>("SELECT pg_backend_pid()");
}
