using QueueExporter.Worker.Execution;
using QueueExporter.Worker.Handlers;

namespace QueueExporter.Tests.Worker;

public class JobOutcomeDeciderTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly JobOutcomeDecider Decider = new(TimeSpan.FromMinutes(10));
    private static readonly RetryPattern Pattern = RetryPattern.Parse("1: 10, 3: 60");

    [Fact]
    public void A_returned_result_is_done() =>
        Assert.Equal(new JobOutcome.Done("ok"), JobOutcomeDecider.Succeeded("ok"));

    [Theory]
    [InlineData(1, 10)]
    [InlineData(3, 60)]
    public void A_retryable_error_retries_after_the_pattern_delay_for_this_attempt(int attempt, int seconds)
    {
        var outcome = Decider.Threw(new RetryableJobException("busy"), attempt, maxRetries: 5, Pattern, Now);

        Assert.Equal(new JobOutcome.Retry(Now.AddSeconds(seconds), "busy"), outcome);
        Assert.Equal("retry", outcome.Label);
    }

    [Fact]
    public void A_delay_asked_by_the_handler_wins_over_the_pattern() =>
        Assert.Equal(Now.AddSeconds(2), Assert.IsType<JobOutcome.Retry>(Decider.Threw(new RetryableJobException("busy", TimeSpan.FromSeconds(2)), 1, 5, Pattern, Now)).Eta);

    [Fact]
    public void Without_a_pattern_the_default_delay_applies() =>
        Assert.Equal(Now.AddMinutes(10), Assert.IsType<JobOutcome.Retry>(Decider.Threw(new RetryableJobException("busy"), 1, 5, null, Now)).Eta);

    [Fact]
    public void A_retryable_error_on_attempt_max_retries_fails_the_job()
    {
        var failed = Assert.IsType<JobOutcome.Failed>(Decider.Threw(new RetryableJobException("busy"), attempt: 3, maxRetries: 3, Pattern, Now));

        Assert.Equal("QueueExporter.Worker.Handlers.RetriesExhaustedException", failed.ExceptionName);
        Assert.Equal("Max. retries (3) reached: busy", failed.ExceptionMessage);
        Assert.Contains("QueueExporter.Worker.Handlers.RetryableJobException: busy", failed.ExceptionInfo, StringComparison.Ordinal);
        Assert.Equal("failed", failed.Label);
    }

    [Fact]
    public void Max_retries_zero_never_runs_out() =>
        Assert.IsType<JobOutcome.Retry>(Decider.Threw(new RetryableJobException("busy"), attempt: 10_000, maxRetries: 0, Pattern, Now));

    [Fact]
    public void Any_other_exception_fails_the_job_with_its_name_message_and_trace()
    {
        Exception thrown;
        try
        {
            throw new TimeoutException("smtp did not answer");
        }
        catch (TimeoutException e)
        {
            thrown = e;
        }

        var failed = Assert.IsType<JobOutcome.Failed>(Decider.Threw(thrown, 1, 5, Pattern, Now));

        Assert.Equal("System.TimeoutException", failed.ExceptionName);
        Assert.Equal("smtp did not answer", failed.ExceptionMessage);
        Assert.Contains(nameof(Any_other_exception_fails_the_job_with_its_name_message_and_trace), failed.ExceptionInfo, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_function_fails_with_its_own_outcome_label() =>
        Assert.Equal("unknown_function", Decider.Threw(new UnknownJobFunctionException("res.partner.x", ["queue.demo.quick"]), 1, 5, null, Now).Label);
}
