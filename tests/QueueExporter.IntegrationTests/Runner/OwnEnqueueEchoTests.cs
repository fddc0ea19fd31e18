using Dapper;
using QueueExporter.TestSupport;
using QueueExporter.QueueJob.Enqueue;

namespace QueueExporter.IntegrationTests.Runner;

/// <summary>
/// The runner skips re-reading the notification its own enqueue UPDATE causes, and only that one: a change
/// anyone else makes to the row afterwards is read at once (not at the safety poll, a minute away).
/// </summary>
public class OwnEnqueueEchoTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task A_change_someone_else_makes_after_the_runners_enqueue_is_read_at_once_and_only_the_echo_is_skipped()
    {
        await using var db = await RunnerDispatchTests.CreateDatabaseAsync();
        await using var worker = await FakeOdooWorker.StartAsync(_ => db.ConnectionString);
        worker.Behaviour = WorkerBehaviour.KeepRunning;
        var first = await RunnerDispatchTests.EnqueueAsync(db, new NewJob { ModelName = "m", MethodName = "x", Priority = 1 });
        var second = await RunnerDispatchTests.EnqueueAsync(db, new NewJob { ModelName = "m", MethodName = "x", Priority = 2 });
        var skipped = $"queue_runner_notifications_skipped_total{{server=\"{db.ServerLabel}\",database=\"{db.Name}\"}}";

        await using var runner = RunnerUnderTest.Start(db, worker.Url, "root:1");
        Assert.Equal(first, (await worker.NextCallAsync(Patience)).Uuid);
        await Eventually.UntilAsync(async () => await runner.SampleAsync(skipped) == 1, Patience, "the echo of the first enqueue is skipped");

        // The job "keeps running" in the worker, so only this outside write can free root's one slot.
        await using (var connection = await db.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("UPDATE queue_job SET state = 'done' WHERE uuid = @first", new { first });
        }

        Assert.Equal(second, (await worker.NextCallAsync(Patience)).Uuid);
        await Eventually.UntilAsync(async () => await runner.SampleAsync(skipped) == 2, Patience, "the echo of the second enqueue is skipped");
        Assert.Equal(2, worker.Calls.Count);
    }
}
