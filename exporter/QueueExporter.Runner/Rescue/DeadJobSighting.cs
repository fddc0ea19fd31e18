namespace QueueExporter.Runner.Rescue;

/// <summary>
/// One rescue pass saw this job dead: in enqueued/started with every queue_job_lock row of it free
/// (or none). <see cref="LockRows"/> are the rows that pass found free, each with the transaction that
/// last locked it, read before the pass locked it itself.
/// </summary>
/// <param name="JobId">queue_job.id.</param>
/// <param name="State">The state read.</param>
/// <param name="DateEnqueued">date_enqueued read (naive UTC).</param>
/// <param name="DateStarted">date_started read (naive UTC); null for an enqueued job.</param>
/// <param name="LockRows">The job's lock rows, all free; empty when it has none.</param>
internal sealed record DeadJobSighting(int JobId, string State, DateTime? DateEnqueued, DateTime? DateStarted, IReadOnlyList<LockRowSighting> LockRows);
