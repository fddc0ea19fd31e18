namespace QueueExporter.Worker.Execution;

/// <summary>How a runjob request ended, and so which HTTP status it answers.</summary>
internal enum RunJobStatus
{
    /// <summary>Done or postponed for a retry: 200.</summary>
    Ran,
    /// <summary>The job was not enqueued any more: 200, nothing done (as Odoo).</summary>
    Skipped,
    /// <summary>The job failed (or its function is unknown): 500 (as Odoo).</summary>
    Failed,
    /// <summary>The database is not served by this worker: 404.</summary>
    DatabaseNotServed,
    /// <summary>The worker is shutting down; the job went back to pending: 503.</summary>
    Interrupted,
    /// <summary>The run lost its claim on the job; nothing was written: 500 (a runner's rescue takes over).</summary>
    Lost,
    /// <summary>MaxConcurrentJobs jobs are running already; nothing was done: 503 at once.</summary>
    Busy,
}
