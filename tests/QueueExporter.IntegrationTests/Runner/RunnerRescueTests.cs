using Dapper;
using QueueExporter.QueueJob.Enqueue;
using QueueExporter.QueueJob.Schema;
using QueueExporter.TestSupport;
using static QueueExporter.IntegrationTests.Runner.RunnerDispatchTests;

namespace QueueExporter.IntegrationTests.Runner;

/// <summary>Jobs whose worker died are put back to pending, or failed as JobFoundDead when out of retries.</summary>
public class RunnerRescueTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Dead_started_jobs_without_a_held_lock_are_requeued_or_failed_and_counted()
    {
        await using var db = await CreateDatabaseAsync();
        await using var worker = await FakeOdooWorker.StartAsync(_ => db.ConnectionString);
        var revived = await EnqueueAsync(db, new NewJob { ModelName = "m", MethodName = "x", MaxRetries = 5 });
        var exhausted = await EnqueueAsync(db, new NewJob { ModelName = "m", MethodName = "x", MaxRetries = 2 });
        await using (var connection = await db.OpenConnectionAsync())
        {
            await connection.ExecuteAsync(
                "UPDATE queue_job SET state = 'started', date_enqueued = (now() at time zone 'utc') - interval '1 minute', retry = CASE WHEN uuid = @exhausted THEN 2 ELSE 0 END WHERE uuid IN (@revived, @exhausted)",
                new { revived, exhausted });
        }

        await using var runner = RunnerUnderTest.Start(db, worker.Url, "root:2");

        Assert.Equal(revived, (await worker.NextCallAsync(Patience)).Uuid);
        await using var check = await db.OpenConnectionAsync();
        var failed = await check.QuerySingleAsync<(string State, string ExcName, int Retry)>("SELECT state, exc_name, retry FROM queue_job WHERE uuid = @exhausted", new { exhausted });
        Assert.Equal(("failed", "JobFoundDead", 3), failed);
        Assert.Equal(1, await check.ExecuteScalarAsync<int>("SELECT retry FROM queue_job WHERE uuid = @revived", new { revived }));
        Assert.Equal(1, await runner.SampleAsync($"queue_runner_rescued_jobs_total{{server=\"{db.ServerLabel}\",database=\"{db.Name}\",reason=\"requeued\"}}"));
        Assert.Equal(1, await runner.SampleAsync($"queue_runner_rescued_jobs_total{{server=\"{db.ServerLabel}\",database=\"{db.Name}\",reason=\"retries_exhausted\"}}"));
    }

    [Fact]
    public async Task A_started_job_whose_lock_row_is_held_is_left_alone()
    {
        await using var db = await CreateDatabaseAsync();
        await using var worker = await FakeOdooWorker.StartAsync(_ => db.ConnectionString);
        var alive = await EnqueueAsync(db, new NewJob { ModelName = "m", MethodName = "x" });
        await using var workerSession = await db.OpenConnectionAsync();
        await workerSession.ExecuteAsync(
            "UPDATE queue_job SET state = 'started', date_enqueued = (now() at time zone 'utc') - interval '1 minute' WHERE uuid = @alive; "
            + "INSERT INTO queue_job_lock (queue_job_id) SELECT id FROM queue_job WHERE uuid = @alive",
            new { alive });
        await using var transaction = await workerSession.BeginTransactionAsync();
        await workerSession.ExecuteAsync("SELECT 1 FROM queue_job_lock l JOIN queue_job j ON j.id = l.queue_job_id WHERE j.uuid = @alive FOR UPDATE", new { alive }, transaction);
        var dead = await EnqueueAsync(db, new NewJob { ModelName = "m", MethodName = "x" });
        await using (var other = await db.OpenConnectionAsync())
        {
            await other.ExecuteAsync("UPDATE queue_job SET state = 'enqueued', date_enqueued = (now() at time zone 'utc') - interval '1 minute' WHERE uuid = @dead", new { dead });
        }

        await using var runner = RunnerUnderTest.Start(db, worker.Url, "root:4");

        Assert.Equal(dead, (await worker.NextCallAsync(Patience)).Uuid);
        await using var check = await db.OpenConnectionAsync();
        Assert.Equal("started", await check.ExecuteScalarAsync<string>("SELECT state FROM queue_job WHERE uuid = @alive", new { alive }));
        await transaction.RollbackAsync();
    }

    [Fact]
    public async Task Without_a_lock_table_only_enqueued_jobs_older_than_the_timeout_are_rescued()
    {
        await using var db = await CreateDatabaseAsync(QueueJobShape.Odoo13);
        await using var worker = await FakeOdooWorker.StartAsync(_ => db.ConnectionString);
        var stale = await EnqueueAsync(db, new NewJob { ModelName = "m", MethodName = "x" });
        var running = await EnqueueAsync(db, new NewJob { ModelName = "m", MethodName = "x" });
        await using (var connection = await db.OpenConnectionAsync())
        {
            await connection.ExecuteAsync(
                "UPDATE queue_job SET state = CASE WHEN uuid = @stale THEN 'enqueued' ELSE 'started' END, date_enqueued = (now() at time zone 'utc') - interval '10 minutes' WHERE uuid IN (@stale, @running)",
                new { stale, running });
        }

        await using var runner = RunnerUnderTest.Start(db, worker.Url, "root:4", o => o with { RescueTimeout = TimeSpan.FromMinutes(5) });

        Assert.Equal(stale, (await worker.NextCallAsync(Patience)).Uuid);
        await using var check = await db.OpenConnectionAsync();
        Assert.Equal("started", await check.ExecuteScalarAsync<string>("SELECT state FROM queue_job WHERE uuid = @running", new { running }));
    }
}
