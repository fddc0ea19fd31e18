namespace QueueExporter.IntegrationTests.Faults;

/// <summary>
/// The fault tests read <see cref="ExecutionLog.All"/> while the worker's handlers begin and end runs.
/// Each read must be one consistent snapshot: a run that ends between two reads is never missing and
/// never counted twice (it would overlap with itself and fail a test for a double run that never was).
/// </summary>
public sealed class ExecutionLogTests
{
    [Fact]
    public async Task Reads_while_runs_begin_and_end_see_every_run_exactly_once()
    {
        var log = new ExecutionLog();
        const int runs = 20_000;
        var writer = Task.Run(() =>
        {
            for (var i = 0; i < runs; i++)
            {
                var id = log.Begin($"job-{i}", "w", 1);
                log.End(id, "done");
            }
        });

        var seenBefore = 0;
        while (!writer.IsCompleted)
        {
            var all = log.All;
            // Runs never leave the log, so a later snapshot can only hold more of them.
            Assert.True(all.Count >= seenBefore, $"a snapshot of {all.Count} runs after one of {seenBefore}: a run that was ending went missing");
            Assert.Empty(log.Overlaps());
            seenBefore = all.Count;
        }

        await writer;
        Assert.Equal(runs, log.All.Count);
        Assert.All(log.RunsPerJob().Values, count => Assert.Equal(1, count));
    }
}
