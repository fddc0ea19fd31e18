namespace QueueExporter.Worker.Handlers;

/// <summary>
/// Recorded as the failure of a job whose retryable error came once too often (Odoo records
/// <c>FailedJobError</c> with the same message shape). The retryable error is the inner exception.
/// </summary>
public sealed class RetriesExhaustedException : Exception
{
    /// <summary>For a job that reached <paramref name="maxRetries"/>.</summary>
    public RetriesExhaustedException(int maxRetries, Exception lastError)
        : base($"Max. retries ({maxRetries}) reached: {lastError?.Message}", lastError)
    {
    }

    /// <inheritdoc/>
    public RetriesExhaustedException()
    {
    }

    /// <inheritdoc/>
    public RetriesExhaustedException(string message)
        : base(message)
    {
    }

    /// <inheritdoc/>
    public RetriesExhaustedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
