using System.Net;
using Dapper;
using QueueExporter.QueueJob.Enqueue;
using QueueExporter.QueueJob.Schema;
using QueueExporter.TestSupport;
using QueueExporter.Worker.Handlers;

namespace QueueExporter.IntegrationTests.Worker;

/// <summary>
/// While a job runs its queue_job_lock row is locked (a runner's dead-job probe skips it), it runs
/// once however many times it is requested, and a worker shutting down gives it back.
/// </summary>
public class RunJobLockingTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_running_job_is_started_and_its_lock_row_is_held_until_it_ends()
    {
        var gate = new BlockingHandler();
        await using var bed = await WorkerTestBed.StartAsync(registerHandlers: r => r.Register("test.blocking.run", gate.RunAsync));
        var uuid = await bed.EnqueueAsync(new NewJob { ModelName = "test.blocking", MethodName = "run" });

        var request = bed.RunJobAsync(uuid);
        await gate.Started.Task.WaitAsync(Timeout);

        await using (var probe = await bed.OpenConnectionAsync())
        {
            var row = await probe.QuerySingleAsync("SELECT id, state, worker_pid FROM queue_job WHERE uuid = @uuid", new { uuid });
            Assert.Equal(JobStates.Started, (string)row.state);
            Assert.Equal(Environment.ProcessId, (int)row.worker_pid);
            Assert.Equal(1L, await probe.ExecuteScalarAsync<long>("SELECT count(*) FROM queue_job_lock WHERE queue_job_id = @id", new { id = (int)row.id }));
            // The runner's probe: a live job's lock row cannot be taken.
            await using var transaction = await probe.BeginTransactionAsync();
            var locked = await probe.QueryAsync<int>("SELECT id FROM queue_job_lock WHERE queue_job_id = @id FOR NO KEY UPDATE SKIP LOCKED", new { id = (int)row.id }, transaction);
            Assert.Empty(locked);
        }

        Assert.Contains("queue_worker_jobs_running 1", await bed.MetricsTextAsync(), StringComparison.Ordinal);
        gate.Release.SetResult("released");
        using var response = await request.WaitAsync(Timeout);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(JobStates.Done, (string)(await bed.RowAsync(uuid)).state);
        Assert.Equal(0L, await bed.ScalarAsync<long>("SELECT count(*) FROM queue_job_lock"));
        Assert.Contains("queue_worker_jobs_running 0", await bed.MetricsTextAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_job_requested_twice_at_once_runs_once()
    {
        var gate = new BlockingHandler();
        await using var bed = await WorkerTestBed.StartAsync(registerHandlers: r => r.Register("test.blocking.run", gate.RunAsync));
        var uuid = await bed.EnqueueAsync(new NewJob { ModelName = "test.blocking", MethodName = "run" });

        var first = bed.RunJobAsync(uuid);
        await gate.Started.Task.WaitAsync(Timeout);
        using var second = await bed.RunJobAsync(uuid).WaitAsync(Timeout);
        gate.Release.SetResult("released");
        using var firstResponse = await first.WaitAsync(Timeout);

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(HttpStatusCode.OK, firstResponse.StatusCode);
        Assert.Equal(1, gate.Runs);
        var metrics = await bed.MetricsTextAsync();
        Assert.Contains("queue_worker_jobs_total{channel=\"root\",function=\"test.blocking.run\",outcome=\"skipped\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("queue_worker_jobs_total{channel=\"root\",function=\"test.blocking.run\",outcome=\"done\"} 1", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_job_interrupted_by_shutdown_goes_back_to_pending_without_counting_an_attempt()
    {
        var gate = new BlockingHandler();
        var bed = await WorkerTestBed.StartAsync(registerHandlers: r => r.Register("test.blocking.run", gate.RunAsync));
        try
        {
            var uuid = await bed.EnqueueAsync(new NewJob { ModelName = "test.blocking", MethodName = "run" });
            var request = bed.RunJobAsync(uuid);
            await gate.Started.Task.WaitAsync(Timeout);

            await bed.Worker.StopAsync().WaitAsync(Timeout);

            var row = await bed.RowAsync(uuid);
            Assert.Equal(JobStates.Pending, (string)row.state);
            Assert.Equal(0, (int)row.retry);
            Assert.Null(row.date_started);
            Assert.Equal(0L, await bed.ScalarAsync<long>("SELECT count(*) FROM queue_job_lock"));
            _ = await Record.ExceptionAsync(() => request);
        }
        finally
        {
            await bed.DisposeAsync();
        }
    }

    [Fact]
    public async Task Two_parents_finishing_at_the_same_moment_release_their_common_child()
    {
        var gate = new BlockingHandler();
        await using var bed = await WorkerTestBed.StartAsync(registerHandlers: r => r.Register("test.blocking.run", gate.RunAsync));
        var first = await bed.EnqueueAsync(new NewJob { ModelName = "test.blocking", MethodName = "run" });
        var second = await bed.EnqueueAsync(new NewJob { ModelName = "test.blocking", MethodName = "run" });
        var child = await bed.EnqueueAsync(new NewJob { ModelName = "queue.demo", MethodName = "quick", DependsOn = [first, second] });

        var requests = new[] { bed.RunJobAsync(first), bed.RunJobAsync(second) };
        await Eventually.UntilAsync(() => gate.Runs == 2, Timeout, "both parents run at once");
        gate.Release.SetResult("released");
        foreach (var response in await Task.WhenAll(requests).WaitAsync(Timeout))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            response.Dispose();
        }

        Assert.Equal(JobStates.Pending, (string)(await bed.RowAsync(child)).state);
    }

    [Fact]
    public async Task The_metrics_endpoint_serves_the_worker_metrics_over_http()
    {
        await using var bed = await WorkerTestBed.StartAsync();
        var uuid = await bed.EnqueueAsync(new NewJob { ModelName = "queue.demo", MethodName = "quick" });
        using (await bed.RunJobAsync(uuid))
        {
        }

        var text = await bed.Http.GetStringAsync(new Uri("/metrics", UriKind.Relative));

        Assert.Contains("queue_worker_jobs_total{channel=\"root\",function=\"queue.demo.quick\",outcome=\"done\"} 1", text, StringComparison.Ordinal);
    }

    /// <summary>A handler that signals when it starts and finishes when the test says so.</summary>
    private sealed class BlockingHandler
    {
        private int _runs;

        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<string> Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Runs => Volatile.Read(ref _runs);

        public async Task<string?> RunAsync(JobContext job, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _runs);
            Started.TrySetResult();
            return await Release.Task.WaitAsync(cancellationToken);
        }
    }
}
