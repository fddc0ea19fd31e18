using Dapper;
using Npgsql;
using QueueExporter.QueueJob.Enqueue;
using QueueExporter.QueueJob.Schema;
using QueueExporter.TestSupport;

namespace QueueExporter.IntegrationTests.Runner;

/// <summary>Jobs inserted as Odoo inserts them reach a real HTTP worker in the order and at the pace the channels allow.</summary>
public class RunnerDispatchTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Jobs_are_dispatched_by_priority_then_age_within_capacity()
    {
        await using var db = await CreateDatabaseAsync();
        await using var worker = await FakeOdooWorker.StartAsync(_ => db.ConnectionString);
        worker.JobDuration = TimeSpan.FromMilliseconds(30);
        var uuids = new List<string>();
        foreach (var priority in new[] { 30, 10, 20, 10, 5 })
        {
            uuids.Add(await EnqueueAsync(db, new NewJob { ModelName = "res.partner", MethodName = "run", Priority = priority }));
        }

        await using var runner = RunnerUnderTest.Start(db, worker.Url, "root:1");
        var calls = new List<RunJobCall>();
        for (var i = 0; i < 5; i++)
        {
            calls.Add(await worker.NextCallAsync(Patience));
        }

        Assert.Equal([uuids[4], uuids[1], uuids[3], uuids[2], uuids[0]], calls.Select(c => c.Uuid));
        Assert.All(calls, c => Assert.Equal(db.Name, c.Database));
        Assert.All(calls, c => Assert.Equal(1, c.RunningInDatabase));
        await Eventually.UntilAsync(async () => await CountAsync(db, "done") == 5, Patience, "every job done");
        await Eventually.UntilAsync(async () => await runner.DeliveredAsync(db, "root") == 5, Patience, "five deliveries counted");
    }

    [Fact]
    public async Task A_subchannel_never_runs_more_than_its_capacity_nor_root_more_than_its_own()
    {
        await using var db = await CreateDatabaseAsync();
        await using var worker = await FakeOdooWorker.StartAsync(_ => db.ConnectionString);
        worker.JobDuration = TimeSpan.FromMilliseconds(100);
        for (var i = 0; i < 6; i++)
        {
            await EnqueueAsync(db, new NewJob { ModelName = "m", MethodName = "a", Channel = "root.a" });
            await EnqueueAsync(db, new NewJob { ModelName = "m", MethodName = "b", Channel = "root.b.sub" });
        }

        await using var runner = RunnerUnderTest.Start(db, worker.Url, "root:3,a:2,b:1");
        await Eventually.UntilAsync(async () => await CountAsync(db, "done") == 12, Patience, "all twelve jobs done");

        Assert.Equal(12, worker.Calls.Count);
        Assert.All(worker.Calls, c => Assert.InRange(c.RunningInDatabase, 1, 3));
        Assert.Contains("queue_runner_channel_capacity{channel=\"root.a\"} 2", await runner.MetricsTextAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_sequential_channel_stops_after_a_failed_job_until_it_is_requeued()
    {
        await using var db = await CreateDatabaseAsync();
        await using var worker = await FakeOdooWorker.StartAsync(_ => db.ConnectionString);
        worker.Behaviour = WorkerBehaviour.FailJob;
        var first = await EnqueueAsync(db, new NewJob { ModelName = "m", MethodName = "x", Channel = "root.seq" });
        var second = await EnqueueAsync(db, new NewJob { ModelName = "m", MethodName = "x", Channel = "root.seq" });

        await using var runner = RunnerUnderTest.Start(db, worker.Url, "root:4,seq:1:sequential");
        Assert.Equal(first, (await worker.NextCallAsync(Patience)).Uuid);
        await Eventually.UntilAsync(
            async () => await runner.SampleAsync("queue_runner_channel_jobs{channel=\"root.seq\",state=\"failed\"}") == 1
                && await runner.SampleAsync("queue_runner_channel_jobs{channel=\"root.seq\",state=\"queued\"}") == 1,
            Patience,
            "the runner holds one failed and one queued job in root.seq");
        Assert.Single(worker.Calls);

        // The worker commits "failed" before it answers 500: the runner may read the row before the answer
        // is counted (it no longer re-reads its own enqueue first), so the count is awaited too.
        await Eventually.UntilAsync(
            async () => await runner.SampleAsync($"queue_runner_dispatches_total{{server=\"{db.ServerLabel}\",database=\"{db.Name}\",channel=\"root.seq\",outcome=\"http_error\"}}") == 1,
            Patience,
            "the 500 answer is counted as http_error");

        worker.Behaviour = WorkerBehaviour.CompleteJob;
        await using (var connection = await db.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("UPDATE queue_job SET state = 'done' WHERE uuid = @first", new { first });
        }

        Assert.Equal(second, (await worker.NextCallAsync(Patience)).Uuid);
    }

    [Fact]
    public async Task A_throttled_channel_spaces_its_dispatches()
    {
        await using var db = await CreateDatabaseAsync();
        await using var worker = await FakeOdooWorker.StartAsync(_ => db.ConnectionString);
        var a = await EnqueueAsync(db, new NewJob { ModelName = "m", MethodName = "x", Channel = "root.edi" });
        var b = await EnqueueAsync(db, new NewJob { ModelName = "m", MethodName = "x", Channel = "root.edi" });

        await using var runner = RunnerUnderTest.Start(db, worker.Url, "root:4,edi:2:throttle=1");
        await worker.NextCallAsync(Patience);
        await worker.NextCallAsync(Patience);

        // date_enqueued is stamped at the enqueue UPDATE, a few milliseconds after the scheduler's decision
        // (more for the first, cold one); HTTP arrival times would add the noise of a busy machine. Decisions
        // are spaced by the full second, so the stamps may be up to that lag under it.
        await using var connection = await db.OpenConnectionAsync();
        var enqueued = (await connection.QueryAsync<DateTime>("SELECT date_enqueued FROM queue_job WHERE uuid IN (@a, @b) ORDER BY date_enqueued", new { a, b })).ToList();
        Assert.InRange(enqueued[1] - enqueued[0], TimeSpan.FromSeconds(0.95), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_job_with_a_future_eta_waits_for_it_while_others_run()
    {
        await using var db = await CreateDatabaseAsync();
        await using var worker = await FakeOdooWorker.StartAsync(_ => db.ConnectionString);
        var eta = DateTimeOffset.UtcNow.AddSeconds(1.5);
        var later = await EnqueueAsync(db, new NewJob { ModelName = "m", MethodName = "x", Priority = 1, Eta = eta });
        var now = await EnqueueAsync(db, new NewJob { ModelName = "m", MethodName = "x", Priority = 50 });

        await using var runner = RunnerUnderTest.Start(db, worker.Url, "root:2");
        var first = await worker.NextCallAsync(Patience);
        var second = await worker.NextCallAsync(Patience);

        Assert.Equal([now, later], [first.Uuid, second.Uuid]);
        Assert.True(second.At >= eta.AddMilliseconds(-50), $"dispatched at {second.At:O}, eta {eta:O}");
    }

    internal static async Task<TestDatabase> CreateDatabaseAsync(QueueJobShape shape = QueueJobShape.Odoo14To17)
    {
        var server = await PostgresServer.SharedAsync();
        return await server.CreateDatabaseAsync(shape);
    }

    internal static async Task<string> EnqueueAsync(TestDatabase db, NewJob job)
    {
        await using var connection = await db.OpenConnectionAsync();
        var enqueuer = new JobEnqueuer(await SchemaDetector.DetectAsync(connection, CancellationToken.None));
        return await enqueuer.EnqueueAsync(connection, job, null, CancellationToken.None);
    }

    internal static async Task<long> CountAsync(TestDatabase db, string state)
    {
        await using var connection = new NpgsqlConnection(db.ConnectionString);
        await connection.OpenAsync();
        return await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM queue_job WHERE state = @state", new { state });
    }
}
