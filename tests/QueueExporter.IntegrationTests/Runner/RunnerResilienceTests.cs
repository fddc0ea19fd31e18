using System.Net;
using System.Net.Sockets;
using Dapper;
using QueueExporter.QueueJob.Enqueue;
using QueueExporter.TestSupport;
using static QueueExporter.IntegrationTests.Runner.RunnerDispatchTests;

namespace QueueExporter.IntegrationTests.Runner;

/// <summary>Leadership, lost connections and unreachable workers: no job is lost or run twice.</summary>
public class RunnerResilienceTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task A_second_runner_stays_standby_and_takes_over_when_the_first_stops()
    {
        await using var db = await CreateDatabaseAsync();
        await using var worker = await FakeOdooWorker.StartAsync(_ => db.ConnectionString);
        await using var first = RunnerUnderTest.Start(db, worker.Url, "root:2");
        await Eventually.UntilAsync(() => first.Runner.Leadership.GetValueOrDefault(db.Name), Patience, "the first runner leads");
        await using var second = RunnerUnderTest.Start(db, worker.Url, "root:2");
        var leaderSample = $"queue_runner_leader{{server=\"{db.ServerLabel}\",database=\"{db.Name}\"}}";
        await Eventually.UntilAsync(() => second.Runner.Leadership.ContainsKey(db.Name), Patience, "the second runner tried the lock");

        var before = await EnqueueAsync(db, new NewJob { ModelName = "m", MethodName = "x" });
        Assert.Equal(before, (await worker.NextCallAsync(Patience)).Uuid);
        Assert.Equal(0, await second.SampleAsync(leaderSample));
        Assert.True(await first.SampleAsync(leaderSample) == 1, await first.MetricsTextAsync());

        await first.StopAsync();
        await Eventually.UntilAsync(async () => await second.SampleAsync(leaderSample) == 1, Patience, "the second runner takes the lock");
        var after = await EnqueueAsync(db, new NewJob { ModelName = "m", MethodName = "x" });

        Assert.Equal(after, (await worker.NextCallAsync(Patience)).Uuid);
        Assert.Equal(2, worker.Calls.Count);
        await Eventually.UntilAsync(
            async () => await second.DeliveredAsync(db, "root") == 1,
            Patience,
            "the new leader counts its dispatch");
    }

    [Fact]
    public async Task A_terminated_connection_is_recovered_without_losing_a_job()
    {
        await using var db = await CreateDatabaseAsync();
        await using var worker = await FakeOdooWorker.StartAsync(_ => db.ConnectionString);
        await using var runner = RunnerUnderTest.Start(db, worker.Url, "root:4");
        await Eventually.UntilAsync(() => runner.Runner.Leadership.GetValueOrDefault(db.Name), Patience, "the runner leads");

        await using (var admin = await db.OpenConnectionAsync())
        {
            var killed = await admin.ExecuteScalarAsync<int>(
                "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = @app) t", new { app = runner.ApplicationName });
            Assert.True(killed >= 1, "the runner's sessions were found and terminated");
        }

        var uuids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            uuids.Add(await EnqueueAsync(db, new NewJob { ModelName = "m", MethodName = "x" }));
        }

        await Eventually.UntilAsync(async () => await CountAsync(db, "done") == 5, Patience, "every job inserted during the outage ran");
        Assert.Equal(uuids.Order(), worker.Calls.Select(c => c.Uuid).Order());
        Assert.True(await runner.SampleAsync($"queue_runner_db_reconnects_total{{server=\"{db.ServerLabel}\",database=\"{db.Name}\"}}") >= 1);
    }

    [Fact]
    public async Task A_worker_answering_500_is_counted_and_the_job_stays_failed()
    {
        await using var db = await CreateDatabaseAsync();
        await using var worker = await FakeOdooWorker.StartAsync(_ => db.ConnectionString);
        worker.Behaviour = WorkerBehaviour.FailJob;
        var uuid = await EnqueueAsync(db, new NewJob { ModelName = "m", MethodName = "x" });

        await using var runner = RunnerUnderTest.Start(db, worker.Url, "root:1");

        Assert.Equal(uuid, (await worker.NextCallAsync(Patience)).Uuid);
        await Eventually.UntilAsync(
            async () => await runner.SampleAsync($"queue_runner_dispatches_total{{server=\"{db.ServerLabel}\",database=\"{db.Name}\",channel=\"root\",outcome=\"http_error\"}}") == 1,
            Patience,
            "the 500 is counted");
        Assert.Equal(1, await CountAsync(db, "failed"));
    }

    [Fact]
    public async Task A_refused_connection_puts_the_job_back_to_pending_and_it_runs_when_the_worker_is_back()
    {
        await using var db = await CreateDatabaseAsync();
        var refusingUrl = new Uri($"http://127.0.0.1:{UnusedPort()}");
        var uuid = await EnqueueAsync(db, new NewJob { ModelName = "m", MethodName = "x" });

        await using (var runner = RunnerUnderTest.Start(db, refusingUrl, "root:1"))
        {
            await Eventually.UntilAsync(
                async () => await runner.SampleAsync($"queue_runner_dispatches_total{{server=\"{db.ServerLabel}\",database=\"{db.Name}\",channel=\"root\",outcome=\"connection_error\"}}") >= 1,
                Patience,
                "the refused call is counted");
            await runner.StopAsync();
        }

        Assert.True(await CountAsync(db, "pending") == 1, $"enqueued {await CountAsync(db, "enqueued")} done {await CountAsync(db, "done")}");
        await using var worker = await FakeOdooWorker.StartAsync(_ => db.ConnectionString);
        await using var second = RunnerUnderTest.Start(db, worker.Url, "root:1");
        Assert.Equal(uuid, (await worker.NextCallAsync(Patience)).Uuid);
    }

    [Fact]
    public async Task The_runjob_call_carries_basic_auth_and_an_escaped_database_name()
    {
        var server = await PostgresServer.SharedAsync();
        await using var db = await server.CreateDatabaseAsync(name: $"qe odd&name {Guid.NewGuid():N}"[..30]);
        await using var worker = await FakeOdooWorker.StartAsync(_ => db.ConnectionString);
        await EnqueueAsync(db, new NewJob { ModelName = "m", MethodName = "x" });

        await using var runner = RunnerUnderTest.Start(db, worker.Url, "root:1", o => o with { HttpAuthUser = "odoo", HttpAuthPassword = "p@ss:word" });
        var call = await worker.NextCallAsync(Patience);

        Assert.Equal(db.Name, call.Database);
        Assert.Equal("Basic " + Convert.ToBase64String("odoo:p@ss:word"u8.ToArray()), call.Authorization);
    }

    private static int UnusedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
