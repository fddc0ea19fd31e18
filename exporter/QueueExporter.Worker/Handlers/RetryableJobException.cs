namespace QueueExporter.Worker.Handlers;

/// <summary>
/// Thrown by a handler to say "not now, try again": the job goes back to pending with an eta, unless
/// it has used all its <c>max_retries</c>, in which case it fails. The counterpart of Odoo's
/// <c>RetryableJobError</c>.
/// </summary>
public class RetryableJobException : Exception
{
    /// <summary>A retry after the function's retry pattern delay (or the worker's default).</summary>
    public RetryableJobException()
    {
    }

    /// <summary>A retry with a message stored in the job's result.</summary>
    public RetryableJobException(string message)
        : base(message)
    {
    }

    /// <summary>A retry after exactly <paramref name="delay"/>, overriding the retry pattern.</summary>
    public RetryableJobException(string message, TimeSpan? delay)
        : base(message)
    {
        if (delay is { } d && d < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(delay), delay, "a retry delay cannot be negative");
        }

        Delay = delay;
    }

    /// <summary>Wraps the cause of a retry.</summary>
    public RetryableJobException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The delay asked for, or null for the retry pattern's.</summary>
    public TimeSpan? Delay { get; }
}
