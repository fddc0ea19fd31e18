using System.Net;
using QueueExporter.QueueJob.Enqueue;
using QueueExporter.QueueJob.Schema;
using QueueExporter.Worker.Demo;

namespace QueueExporter.IntegrationTests.Worker;

public class RunJobOutcomeTests
{
    [Fact]
    public async Task A_quick_job_is_done_with_its_result_timing_and_worker_pid_and_answers_200()
    {
        await using var bed = await WorkerTestBed.StartAsync();
        var uuid = await bed.EnqueueAsync(new NewJob { ModelName = DemoHandlers.Model, MethodName = "quick", Channel = "root.mail" });
        var before = DateTime.UtcNow.AddSeconds(-1);

        using var response = await bed.RunJobAsync(uuid);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("", await response.Content.ReadAsStringAsync());
        var row = await bed.RowAsync(uuid);
        Assert.Equal(JobStates.Done, (string)row.state);
        Assert.Equal("quick job done", (string)row.result);
        Assert.InRange((DateTime)row.date_started, before, DateTime.UtcNow.AddSeconds(1));
        Assert.InRange((DateTime)row.date_done, (DateTime)row.date_started, DateTime.UtcNow.AddSeconds(1));
        Assert.InRange((double)row.exec_time, 0, 10);
        Assert.Equal(Environment.ProcessId, (int)row.worker_pid);
        Assert.Equal(1, (int)row.retry);
        Assert.Null(row.exc_name);
        Assert.Null(row.exc_info);
        Assert.Equal(0L, await bed.ScalarAsync<long>("SELECT count(*) FROM queue_job_lock"));
        var metrics = await bed.MetricsTextAsync();
        Assert.Contains("queue_worker_jobs_total{channel=\"root.mail\",function=\"queue.demo.quick\",outcome=\"done\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("queue_worker_job_duration_seconds_count{channel=\"root.mail\",function=\"queue.demo.quick\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("queue_worker_jobs_running 0", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_retryable_error_puts_the_job_back_to_pending_with_an_eta_from_the_retry_pattern()
    {
        await using var bed = await WorkerTestBed.StartAsync();
        var uuid = await bed.EnqueueAsync(new NewJob { ModelName = DemoHandlers.Model, MethodName = "flaky", ArgsJson = "[3]", MaxRetries = 5 });
        var before = DateTime.UtcNow;

        using var response = await bed.RunJobAsync(uuid);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var row = await bed.RowAsync(uuid);
        Assert.Equal(JobStates.Pending, (string)row.state);
        Assert.Equal(1, (int)row.retry);
        // Flaky's pattern waits 1 s after the first attempt.
        Assert.InRange((DateTime)row.eta, before.AddSeconds(0.5), DateTime.UtcNow.AddSeconds(1.5));
        Assert.Contains("remote service busy", (string)row.result, StringComparison.Ordinal);
        Assert.Null(row.date_started);
        Assert.Null(row.date_enqueued);
        Assert.Null(row.worker_pid);
        Assert.Equal(0L, await bed.ScalarAsync<long>("SELECT count(*) FROM queue_job_lock"));
        Assert.Contains("queue_worker_jobs_total{channel=\"root\",function=\"queue.demo.flaky\",outcome=\"retry\"} 1", await bed.MetricsTextAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_flaky_job_succeeds_on_the_attempt_after_its_last_retryable_error()
    {
        await using var bed = await WorkerTestBed.StartAsync();
        var uuid = await bed.EnqueueAsync(new NewJob { ModelName = DemoHandlers.Model, MethodName = "flaky", ArgsJson = "[2]", MaxRetries = 5 });

        for (var attempt = 1; attempt <= 3; attempt++)
        {
            // Hand it over again as a runner does once the eta has passed.
            await bed.ExecuteAsync("UPDATE queue_job SET state = 'enqueued' WHERE uuid = @uuid AND state = 'pending'", new { uuid });
            using var response = await bed.RunJobAsync(uuid);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var row = await bed.RowAsync(uuid);
        Assert.Equal(JobStates.Done, (string)row.state);
        Assert.Equal(3, (int)row.retry);
        Assert.Equal("succeeded after 2 retries", (string)row.result);
    }

    [Fact]
    public async Task A_retryable_error_on_the_last_allowed_attempt_fails_the_job_with_max_retries_reached()
    {
        await using var bed = await WorkerTestBed.StartAsync();
        var uuid = await bed.EnqueueAsync(new NewJob { ModelName = DemoHandlers.Model, MethodName = "flaky", ArgsJson = "[10]", MaxRetries = 2 });
        await bed.ExecuteAsync("UPDATE queue_job SET retry = 1 WHERE uuid = @uuid", new { uuid });

        using var response = await bed.RunJobAsync(uuid);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var row = await bed.RowAsync(uuid);
        Assert.Equal(JobStates.Failed, (string)row.state);
        Assert.Equal(2, (int)row.retry);
        Assert.Equal("QueueExporter.Worker.Handlers.RetriesExhaustedException", (string)row.exc_name);
        Assert.StartsWith("Max. retries (2) reached: demo: remote service busy", (string)row.exc_message, StringComparison.Ordinal);
        Assert.Contains("QueueExporter.Worker.Handlers.RetryableJobException", (string)row.exc_info, StringComparison.Ordinal);
        Assert.Contains("queue_worker_jobs_total{channel=\"root\",function=\"queue.demo.flaky\",outcome=\"failed\"} 1", await bed.MetricsTextAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Max_retries_zero_retries_for_ever()
    {
        await using var bed = await WorkerTestBed.StartAsync();
        var uuid = await bed.EnqueueAsync(new NewJob { ModelName = DemoHandlers.Model, MethodName = "flaky", ArgsJson = "[1000]", MaxRetries = 0 });
        await bed.ExecuteAsync("UPDATE queue_job SET retry = 500 WHERE uuid = @uuid", new { uuid });

        using var response = await bed.RunJobAsync(uuid);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var row = await bed.RowAsync(uuid);
        Assert.Equal(JobStates.Pending, (string)row.state);
        Assert.Equal(501, (int)row.retry);
    }

    [Fact]
    public async Task A_failing_handler_fails_the_job_with_exception_name_message_and_stack_trace_and_answers_500()
    {
        await using var bed = await WorkerTestBed.StartAsync();
        var uuid = await bed.EnqueueAsync(new NewJob { ModelName = DemoHandlers.Model, MethodName = "fail" });

        using var response = await bed.RunJobAsync(uuid);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var row = await bed.RowAsync(uuid);
        Assert.Equal(JobStates.Failed, (string)row.state);
        Assert.Equal("System.InvalidOperationException", (string)row.exc_name);
        Assert.StartsWith("demo failure: partner ", (string)row.exc_message, StringComparison.Ordinal);
        Assert.StartsWith("System.InvalidOperationException: demo failure", (string)row.exc_info, StringComparison.Ordinal);
        Assert.Contains(" at ", (string)row.exc_info, StringComparison.Ordinal);
        Assert.Null(row.date_done);
        Assert.Equal(0L, await bed.ScalarAsync<long>("SELECT count(*) FROM queue_job_lock"));
        Assert.Contains("queue_worker_jobs_total{channel=\"root\",function=\"queue.demo.fail\",outcome=\"failed\"} 1", await bed.MetricsTextAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_job_of_an_unknown_function_fails_with_a_clear_message_and_an_unregistered_label()
    {
        await using var bed = await WorkerTestBed.StartAsync();
        var uuid = await bed.EnqueueAsync(new NewJob { ModelName = "res.partner", MethodName = "send_invoices", Channel = "root.edi" });

        using var response = await bed.RunJobAsync(uuid);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var row = await bed.RowAsync(uuid);
        Assert.Equal(JobStates.Failed, (string)row.state);
        Assert.Equal("QueueExporter.Worker.Handlers.UnknownJobFunctionException", (string)row.exc_name);
        Assert.Contains("no handler is registered for job function 'res.partner.send_invoices'", (string)row.exc_message, StringComparison.Ordinal);
        Assert.Contains("queue.demo.quick", (string)row.exc_message, StringComparison.Ordinal);
        var metrics = await bed.MetricsTextAsync();
        Assert.Contains("queue_worker_jobs_total{channel=\"root.edi\",function=\"unregistered\",outcome=\"unknown_function\"} 1", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("send_invoices", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_job_no_longer_enqueued_or_missing_is_left_alone_and_answers_200()
    {
        await using var bed = await WorkerTestBed.StartAsync();
        var uuid = await bed.EnqueueAsync(new NewJob { ModelName = DemoHandlers.Model, MethodName = "quick" });
        await bed.ExecuteAsync("UPDATE queue_job SET state = 'done', result = 'set done by a person' WHERE uuid = @uuid", new { uuid });

        using var done = await bed.RunJobAsync(uuid);
        using var missing = await bed.RunJobAsync(Guid.NewGuid().ToString());

        Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        Assert.Equal(HttpStatusCode.OK, missing.StatusCode);
        var row = await bed.RowAsync(uuid);
        Assert.Equal("set done by a person", (string)row.result);
        Assert.Null(row.date_started);
        var metrics = await bed.MetricsTextAsync();
        Assert.Contains("queue_worker_jobs_total{channel=\"root\",function=\"queue.demo.quick\",outcome=\"skipped\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("queue_worker_jobs_total{channel=\"unknown\",function=\"unknown\",outcome=\"skipped\"} 1", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_done_job_releases_a_dependent_only_once_all_its_parents_are_done()
    {
        await using var bed = await WorkerTestBed.StartAsync();
        var first = await bed.EnqueueAsync(new NewJob { ModelName = DemoHandlers.Model, MethodName = "quick" });
        var second = await bed.EnqueueAsync(new NewJob { ModelName = DemoHandlers.Model, MethodName = "quick" });
        var child = await bed.EnqueueAsync(new NewJob { ModelName = DemoHandlers.Model, MethodName = "quick", DependsOn = [first, second] });
        Assert.Equal(JobStates.WaitDependencies, (string)(await bed.RowAsync(child)).state);

        using (var response = await bed.RunJobAsync(first))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(JobStates.WaitDependencies, (string)(await bed.RowAsync(child)).state);

        using (var response = await bed.RunJobAsync(second))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(JobStates.Pending, (string)(await bed.RowAsync(child)).state);
    }
}
