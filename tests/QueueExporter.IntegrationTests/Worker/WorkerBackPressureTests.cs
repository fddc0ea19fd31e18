using Dapper;
using QueueExporter.IntegrationTests.Runner;
using QueueExporter.QueueJob.Enqueue;
using QueueExporter.TestSupport;

namespace QueueExporter.IntegrationTests.Worker;

/// <summary>
/// A worker full to its MaxConcurrentJobs answers 503 at once instead of letting the request wait
/// for a pooled connection; the runner puts such a job back to pending and dispatches it again, so
/// no job waits for the dead-job rescue.
/// </summary>
public sealed class WorkerBackPressureTests
{
    private const int Jobs = 500;
    private const int MaxConcurrentJobs = 50;

    [Fact]
    public async Task A_burst_beyond_the_concurrency_bound_is_refused_with_503_and_every_job_still_runs_without_the_rescue()
    {
        var running = 0;
        var mostAtOnce = 0;
        await using var bed = await WorkerTestBed.StartAsync(
            registerHandlers: r => r.Register("test.burst.run", async (_, ct) =>
            {
                var now = Interlocked.Increment(ref running);
                InterlockedMax(ref mostAtOnce, now);
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(50), ct);
                    return null;
                }
                finally
                {
                    Interlocked.Decrement(ref running);
                }
            }),
            configure: o =>
            {
                o.MaxConcurrentJobs = MaxConcurrentJobs;
                o.PoolSize = MaxConcurrentJobs;
            });
        await using (var connection = await bed.OpenConnectionAsync())
        {
            for (var i = 0; i < Jobs; i++)
            {
                await bed.Enqueuer.EnqueueAsync(connection, new NewJob { ModelName = "test.burst", MethodName = "run" }, null, CancellationToken.None);
            }
        }

        // Four times the worker's bound in flight at once; the grace is far longer than the test may take.
        await using var runner = RunnerUnderTest.Start(bed.Database, bed.Worker.BaseAddress, "root:200", o => o with { DeadJobGrace = TimeSpan.FromMinutes(5) });
        await Eventually.UntilAsync(
            async () => await bed.ScalarAsync<long>("SELECT count(*) FROM queue_job WHERE state = 'done'") == Jobs,
            TimeSpan.FromSeconds(60),
            $"all {Jobs} jobs done");

        var workerText = await bed.MetricsTextAsync();
        var workerRefused = Sample(workerText, "queue_worker_requests_refused_total");
        var runnerRefused = await runner.SampleAsync($"queue_runner_dispatches_total{{server=\"{bed.Database.ServerLabel}\",database=\"{bed.Database.Name}\",channel=\"root\",outcome=\"refused\"}}") ?? 0;
        Assert.True(workerRefused > 0, "the worker never refused a request: the burst did not exceed its bound");
        Assert.Equal(workerRefused, runnerRefused);
        Assert.InRange(Volatile.Read(ref mostAtOnce), 1, MaxConcurrentJobs);
        Assert.Null(await runner.SampleAsync($"queue_runner_rescued_jobs_total{{server=\"{bed.Database.ServerLabel}\",database=\"{bed.Database.Name}\",reason=\"requeued\"}}"));
        Assert.Equal(Jobs, Sample(workerText, "queue_worker_jobs_total{channel=\"root\",function=\"test.burst.run\",outcome=\"done\"}"));
        Assert.Equal(0L, await bed.ScalarAsync<long>("SELECT count(*) FROM queue_job_lock"));
    }

    private static double Sample(string text, string nameWithLabels)
    {
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith(nameWithLabels + " ", StringComparison.Ordinal))
            {
                return double.Parse(line[(nameWithLabels.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var seen = Volatile.Read(ref target);
        while (value > seen)
        {
            var previous = Interlocked.CompareExchange(ref target, value, seen);
            if (previous == seen)
            {
                return;
            }

            seen = previous;
        }
    }
}
