using Npgsql;
using QueueExporter.QueueJob.Connection;
using QueueExporter.QueueJob.Enqueue;
using QueueExporter.QueueJob.Schema;
using QueueExporter.Runner;
using QueueExporter.Runner.Servers;
using QueueExporter.TestSupport;
using static QueueExporter.IntegrationTests.Runner.RunnerDispatchTests;

namespace QueueExporter.IntegrationTests.Runner;

/// <summary>
/// One runner serving two real PostgreSQL servers, each with a database of the same name and its own
/// Odoo workers: jobs go to their own server's workers, series are told apart by server, and a server
/// that goes away stops nothing on the other.
/// </summary>
public class SeveralServersTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Each_servers_jobs_go_to_its_own_workers_and_a_server_going_away_stops_nothing_on_the_other()
    {
        var first = await PostgresServer.SharedAsync();
        await using var second = await PostgresServer.StartDedicatedAsync();
        var name = $"qe_servers_{Environment.ProcessId}_{Guid.NewGuid().ToString("N")[..6]}";
        await using var a = await first.CreateDatabaseAsync(QueueJobShape.Odoo14To17, name);
        await using var b = await second.CreateDatabaseAsync(QueueJobShape.Odoo14To17, name);
        await using var workerA = await FakeOdooWorker.StartAsync(_ => a.ConnectionString);
        await using var workerB = await FakeOdooWorker.StartAsync(_ => b.ConnectionString);

        // The second server names no database: its databases are discovered, and listed again every second.
        var admin = second.AdminEndpoint;
        var discovered = DatabaseEndpoint.Parse($"postgres://{admin.Username}@{admin.Host}:{admin.Port}");
        await using var runner = RunnerUnderTest.Start(a, workerA.Url, "root:2", o => o with
        {
            OtherServers = [RunnerServer.For(discovered, [], null, workerB.Url)],
            DiscoveryInterval = TimeSpan.FromSeconds(1),
        });
        var keyA = $"{name}@{a.ServerLabel}";
        var keyB = $"{name}@{b.ServerLabel}";
        Assert.NotEqual(keyA, keyB);

        var jobsA = await EnqueueManyAsync(a, 3);
        var jobsB = await EnqueueManyAsync(b, 3);
        await Eventually.UntilAsync(async () => await CountAsync(a, "done") == 3 && await CountAsync(b, "done") == 3, Patience, "every job of both servers done");

        // Same database name on both: only the worker URL tells the servers apart, and each got its own jobs.
        Assert.Equal(jobsA.Order(StringComparer.Ordinal), workerA.Calls.Select(c => c.Uuid).Order(StringComparer.Ordinal));
        Assert.Equal(jobsB.Order(StringComparer.Ordinal), workerB.Calls.Select(c => c.Uuid).Order(StringComparer.Ordinal));
        Assert.All(workerA.Calls.Concat(workerB.Calls), c => Assert.Equal(name, c.Database));
        Assert.Equal(1, await runner.SampleAsync($"queue_runner_leader{{server=\"{a.ServerLabel}\",database=\"{name}\"}}"));
        Assert.Equal(1, await runner.SampleAsync($"queue_runner_leader{{server=\"{b.ServerLabel}\",database=\"{name}\"}}"));
        await Eventually.UntilAsync(async () => await runner.DeliveredAsync(a, "root") == 3 && await runner.DeliveredAsync(b, "root") == 3, Patience, "deliveries counted per server");
        Assert.Equal(new[] { keyA, keyB }.Order(StringComparer.Ordinal), runner.Runner.DatabaseHealth.Keys.Order(StringComparer.Ordinal));

        // The second server goes away: its database is not served, its listing fails, the first carries on.
        await second.StopAsync();
        await Eventually.UntilAsync(() => Task.FromResult(!runner.Runner.DatabaseHealth[keyB].Served), Patience, "the stopped server's database reported not served");
        await Eventually.UntilAsync(() => Task.FromResult(runner.Runner.DiscoveryFailure?.Contains(b.ServerLabel, StringComparison.Ordinal) == true), Patience, "the stopped server's listing reported failing");
        var moreA = await EnqueueManyAsync(a, 2);
        await Eventually.UntilAsync(async () => await CountAsync(a, "done") == 5, Patience, "the first server's new jobs done while the second is down");
        Assert.Subset(workerA.Calls.Select(c => c.Uuid).ToHashSet(StringComparer.Ordinal), moreA.ToHashSet(StringComparer.Ordinal));
        Assert.True(runner.Runner.DatabaseHealth[keyA].Served);
        Assert.Contains(keyB, runner.Runner.DatabaseHealth.Keys);

        // Back: served again, discovery heals, and its jobs flow to its own workers.
        await second.StartAsync();

        // The test's and the fake worker's pooled connections to the second server died with it.
        using (var stale = new NpgsqlConnection(b.ConnectionString))
        {
            NpgsqlConnection.ClearPool(stale);
        }

        await Eventually.UntilAsync(() => Task.FromResult(runner.Runner.DatabaseHealth[keyB].Served && runner.Runner.DiscoveryFailure is null), Patience, "the restarted server served and listed again");
        var moreB = await EnqueueManyAsync(b, 2);
        await Eventually.UntilAsync(async () => await CountAsync(b, "done") == 5, Patience, "the second server's new jobs done after its restart");
        Assert.Subset(workerB.Calls.Select(c => c.Uuid).ToHashSet(StringComparer.Ordinal), moreB.ToHashSet(StringComparer.Ordinal));
        Assert.DoesNotContain(workerA.Calls, c => jobsB.Contains(c.Uuid) || moreB.Contains(c.Uuid));
    }

    [Fact]
    public async Task A_fleet_over_two_servers_divides_the_databases_of_both()
    {
        var first = await PostgresServer.SharedAsync();
        await using var second = await PostgresServer.StartDedicatedAsync();
        var name = $"qe_servers_{Environment.ProcessId}_{Guid.NewGuid().ToString("N")[..6]}";
        await using var a1 = await first.CreateDatabaseAsync(QueueJobShape.Odoo14To17, name + "_1");
        await using var a2 = await first.CreateDatabaseAsync(QueueJobShape.Odoo14To17, name + "_2");
        await using var b1 = await second.CreateDatabaseAsync(QueueJobShape.Odoo14To17, name + "_1");
        await using var b2 = await second.CreateDatabaseAsync(QueueJobShape.Odoo14To17, name + "_2");
        await using var workerA = await FakeOdooWorker.StartAsync(db => first.AdminEndpoint.WithDatabase(db).ToConnectionString("qe-fake-worker"));
        await using var workerB = await FakeOdooWorker.StartAsync(db => second.AdminEndpoint.WithDatabase(db).ToConnectionString("qe-fake-worker"));

        // Both replicas name the same servers in the same order; membership is kept on the first server,
        // in a database of this test's own so that no other fleet of the test run shows up in it.
        RunnerOptions Replica(RunnerOptions o) => o with
        {
            Databases = [a1.Name, a2.Name],
            OtherServers = [RunnerServer.For(second.AdminEndpoint, [b1.Name, b2.Name], null, workerB.Url)],
            Fleet = true,
            FleetDatabase = a1.Name,
            FleetInterval = TimeSpan.FromSeconds(1),
        };
        await using var one = RunnerUnderTest.Start(a1, workerA.Url, "root:2", Replica);
        await using var two = RunnerUnderTest.Start(a1, workerA.Url, "root:2", Replica);

        string[] every = [.. new[] { a1, a2, b1, b2 }.Select(db => $"{db.Name}@{db.ServerLabel}").Order(StringComparer.Ordinal)];
        await Eventually.UntilAsync(
            () => Task.FromResult(Led(one).Count == 2 && Led(two).Count == 2 && Led(one).Concat(Led(two)).Order(StringComparer.Ordinal).SequenceEqual(every)),
            Patience,
            "each replica leads two of the four databases, and together all of them");

        var jobsB = await EnqueueManyAsync(b2, 2);
        var jobsA = await EnqueueManyAsync(a2, 2);
        await Eventually.UntilAsync(async () => await CountAsync(b2, "done") == 2 && await CountAsync(a2, "done") == 2, Patience, "jobs of both servers done, whichever replica leads them");
        Assert.Equal(jobsB.Order(StringComparer.Ordinal), workerB.Calls.Select(c => c.Uuid).Order(StringComparer.Ordinal));
        Assert.Equal(jobsA.Order(StringComparer.Ordinal), workerA.Calls.Select(c => c.Uuid).Order(StringComparer.Ordinal));
    }

    private static List<string> Led(RunnerUnderTest runner) => [.. runner.Runner.Leadership.Where(d => d.Value).Select(d => d.Key)];

    private static async Task<List<string>> EnqueueManyAsync(TestDatabase db, int count)
    {
        var uuids = new List<string>();
        for (var i = 0; i < count; i++)
        {
            uuids.Add(await EnqueueAsync(db, new NewJob { ModelName = "res.partner", MethodName = "run" }));
        }

        return uuids;
    }
}
