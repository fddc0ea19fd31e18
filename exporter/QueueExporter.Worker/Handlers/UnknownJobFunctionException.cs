namespace QueueExporter.Worker.Handlers;

/// <summary>
/// Recorded as the failure of a job whose <c>model_name.method_name</c> has no registered handler:
/// the job fails with a clear name and message rather than the worker crashing or retrying for ever.
/// </summary>
public sealed class UnknownJobFunctionException : Exception
{
    /// <summary>For a job asking for <paramref name="function"/>.</summary>
    public UnknownJobFunctionException(string function, IReadOnlyCollection<string> registered)
        : base(Describe(function, registered))
    {
    }

    /// <inheritdoc/>
    public UnknownJobFunctionException()
    {
    }

    /// <inheritdoc/>
    public UnknownJobFunctionException(string message)
        : base(message)
    {
    }

    /// <inheritdoc/>
    public UnknownJobFunctionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    private static string Describe(string function, IReadOnlyCollection<string>? registered)
    {
        var known = registered is null || registered.Count == 0
            ? "none is registered"
            : "registered: " + string.Join(", ", registered.Order(StringComparer.Ordinal).Take(20)) + (registered.Count > 20 ? ", ..." : "");
        return $"no handler is registered for job function '{function}' in this worker ({known})";
    }
}
