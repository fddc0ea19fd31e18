using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using QueueExporter.QueueJob.Enqueue;
using QueueExporter.QueueJob.Schema;

namespace QueueExporter.IntegrationTests.Worker;

/// <summary>
/// The normal path of a job costs at most four round trips to PostgreSQL: the start statement, the
/// hold-and-verify statement, the outcome batch, and the commit. Counted from Npgsql's own tracing
/// (one activity per command or batch sent; a commit is no command, so it is the fourth).
/// </summary>
public sealed class RunJobRoundTripTests
{
    [Theory]
    [InlineData(QueueJobShape.Odoo14To17)]
    [InlineData(QueueJobShape.Odoo13)]
    public async Task A_job_runs_with_three_commands_and_a_commit(QueueJobShape shape)
    {
        await using var bed = await WorkerTestBed.StartAsync(shape);
        // The first request of a database opens its pool and detects its schema: not a job's cost.
        using (var warm = await bed.RunJobAsync(await bed.EnqueueAsync(new NewJob { ModelName = "queue.demo", MethodName = "quick" })))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        var uuid = await bed.EnqueueAsync(new NewJob { ModelName = "queue.demo", MethodName = "quick" });
        var commands = new ConcurrentQueue<string>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Npgsql",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = activity =>
            {
                // Only the worker's sessions on this test's database (tests run in parallel).
                if (activity.TagObjects.Any(t => t.Value is string v && v == bed.Database.Name))
                {
                    commands.Enqueue((activity.GetTagItem("db.query.text") ?? activity.GetTagItem("db.statement") ?? activity.DisplayName)?.ToString() ?? "?");
                }
            },
        };
        ActivitySource.AddActivityListener(listener);

        using var response = await bed.RunJobAsync(uuid);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(commands.Count == 3, $"expected 3 commands (start, hold and verify, outcome batch), saw {commands.Count}: {string.Join(" | ", commands)}");
    }
}
