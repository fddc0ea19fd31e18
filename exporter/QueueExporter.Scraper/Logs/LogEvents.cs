namespace QueueExporter.Scraper.Logs;

/// <summary>
/// The event label values of <c>queue_job_log_events_total</c>: the queue_job log records that
/// matter to an operator. A closed set, so the label stays bounded.
/// </summary>
public static class LogEvents
{
    /// <summary>Runner INFO <c>queue job runner ready for db %s</c>.</summary>
    public const string RunnerReady = "runner_ready";

    /// <summary>Runner INFO <c>asking Odoo to run job %s on db %s</c>.</summary>
    public const string JobDispatched = "job_dispatched";

    /// <summary>Runner WARNING <c>state of job %s was reset from %s to %s</c>.</summary>
    public const string StateReset = "state_reset";

    /// <summary>Runner WARNING <c>Re-queued dead job with uuid: %s</c>.</summary>
    public const string DeadJobRequeued = "dead_job_requeued";

    /// <summary>Runner ERROR <c>exception in GET %s</c>: the HTTP call to a worker failed.</summary>
    public const string DispatchError = "dispatch_error";

    /// <summary>Runner ERROR <c>exception: sleeping %ds and retrying</c>: the runner loop died and restarts.</summary>
    public const string RunnerError = "runner_error";

    /// <summary>Runner ERROR <c>queue_job_notify trigger is missing in db %s</c>.</summary>
    public const string TriggerMissing = "trigger_missing";

    /// <summary>Controller ERROR with a traceback: a job raised and was marked failed.</summary>
    public const string JobFailed = "job_failed";

    /// <summary>Controller WARNING <c>was requested to run job %s, but it does not exist, or is not in state %s</c>.</summary>
    public const string JobNotRunnable = "job_not_runnable";

    /// <summary>Channels ERROR <c>unexpected state %s for job %s</c>.</summary>
    public const string UnexpectedState = "unexpected_state";

    /// <summary>
    /// Access-log line of a <c>/queue_job/runjob</c> call, by status class:
    /// <c>runjob_http_2xx</c> (done or retry), <c>runjob_http_5xx</c> (job failed), ...
    /// </summary>
    public static string RunjobStatus(int status) => status switch
    {
        >= 200 and < 300 => "runjob_http_2xx",
        >= 300 and < 400 => "runjob_http_3xx",
        >= 400 and < 500 => "runjob_http_4xx",
        >= 500 and < 600 => "runjob_http_5xx",
        _ => "runjob_http_other",
    };
}
