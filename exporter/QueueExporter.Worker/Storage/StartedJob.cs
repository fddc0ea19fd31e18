namespace QueueExporter.Worker.Storage;

/// <summary>
/// A job this worker has marked started, as read under its row lock. <see cref="DateStarted"/> (kept to
/// the microsecond, as PostgreSQL stores it) and <see cref="WorkerPid"/> (null when the table has no such
/// column) name this run: every later write of the run is guarded by them. <see cref="LockId"/> is this
/// run's queue_job_lock row, null without that table.
/// </summary>
internal sealed record StartedJob(
    int Id,
    string Uuid,
    string Function,
    string Channel,
    string ArgsJson,
    string KwargsJson,
    int Retry,
    int MaxRetries,
    DateTimeOffset DateStarted,
    int? WorkerPid,
    int? LockId)
{
    /// <summary>The attempt this run is: Odoo counts every run in <c>retry</c>.</summary>
    public int Attempt => Retry + 1;
}
