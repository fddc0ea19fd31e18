namespace QueueExporter.Runner.Rescue;

/// <summary>A free queue_job_lock row as a rescue pass found it.</summary>
/// <param name="Id">queue_job_lock.id.</param>
/// <param name="LastLocker">The row's xmax before this pass locked it: the 32-bit id of the transaction that last locked (or inserted) it, 0 when none.</param>
internal readonly record struct LockRowSighting(int Id, long LastLocker);
