using QueueExporter.Runner.Database;
using QueueExporter.Runner.Leadership;
using QueueExporter.Runner.Servers;

namespace QueueExporter.Runner.Dispatch;

/// <summary>
/// What the dispatcher needs of one database: its current lease, its store, and a way to send requests
/// back. The dispatcher never posts facts: what it learns (a job was not pending, a write failed, the
/// lease is gone) goes back as a request, and the database's own inbox reads the truth in order.
/// </summary>
internal interface IDispatchTarget
{
    /// <summary>Which database, on which server: runjob names it by <see cref="DatabaseAddress.Name"/>.</summary>
    DatabaseAddress Address { get; }

    /// <summary>The runjob client of the workers of the database's server.</summary>
    WorkerClient Worker { get; }

    /// <summary>The lease this runner holds on the database now; null while it does not lead it.</summary>
    Lease? CurrentLease { get; }

    /// <summary>Where the dispatcher says which notifications its enqueue UPDATE will cause, so they are not re-read.</summary>
    EnqueueEchoes Echoes { get; }

    /// <summary>The database's SQL.</summary>
    IRunnerStore Store { get; }

    /// <summary>Asks for a re-read of these jobs (the dispatcher's view of them was stale).</summary>
    void RequestReread(IReadOnlyCollection<string> uuids);

    /// <summary>Asks for a full reload (a write failed: the scheduler may hold jobs as running that are not).</summary>
    void RequestReload();

    /// <summary>The database said this lease no longer holds the lock: end it now rather than at the next keepalive.</summary>
    void ReportLeaseLost(Lease lease);
}
