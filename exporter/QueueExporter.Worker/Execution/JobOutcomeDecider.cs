using QueueExporter.Worker.Handlers;

namespace QueueExporter.Worker.Execution;

/// <summary>
/// The worker's decisions, without I/O: given what the handler did, the attempt number and the job's
/// limits, which state the job goes to. Odoo's rules: the attempt counter (<c>retry</c>) counts every
/// run; a retryable error retries unless <c>max_retries</c> is non-zero and reached, in which case the
/// job fails with "Max. retries (N) reached"; every other error fails the job.
/// </summary>
internal sealed class JobOutcomeDecider(TimeSpan defaultRetryDelay)
{
    /// <summary>The handler returned <paramref name="result"/>.</summary>
    public static JobOutcome Succeeded(string? result) => new JobOutcome.Done(result);

    /// <summary>The handler threw <paramref name="error"/> on attempt <paramref name="attempt"/> (1 = first run).</summary>
    public JobOutcome Threw(Exception error, int attempt, int maxRetries, RetryPattern? pattern, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (error is RetryableJobException retryable)
        {
            if (maxRetries > 0 && attempt >= maxRetries)
            {
                return Failure(new RetriesExhaustedException(maxRetries, retryable), error);
            }

            var delay = retryable.Delay ?? pattern?.DelayAfter(attempt) ?? defaultRetryDelay;
            return new JobOutcome.Retry(now + delay, retryable.Message);
        }

        return Failure(error, error);
    }

    private static JobOutcome.Failed Failure(Exception recorded, Exception cause) =>
        new(ExceptionNaming.NameOf(recorded), recorded.Message, recorded == cause ? cause.ToString() : recorded.Message + Environment.NewLine + cause, recorded is UnknownJobFunctionException);
}
