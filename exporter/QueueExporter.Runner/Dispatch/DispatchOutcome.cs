namespace QueueExporter.Runner.Dispatch;

/// <summary>How one dispatch ended; the lowercase names are the <c>outcome</c> label values.</summary>
internal enum DispatchOutcome
{
    /// <summary>The worker answered 2xx.</summary>
    Ok,

    /// <summary>The worker answered another status (500: the job failed in the worker).</summary>
    HttpError,

    /// <summary>No answer within the timeout: normal, the worker keeps running the job.</summary>
    Timeout,

    /// <summary>The worker could not be reached; the job goes back to pending if still enqueued.</summary>
    ConnectionError,

    /// <summary>The worker answered 503: it is full (or stopping) and did not take the job; like a connection error, the job goes back to pending if still enqueued.</summary>
    Refused,

    /// <summary>The guarded update found the job no longer pending: someone else moved it; nothing was sent.</summary>
    NotPending,
}
