using Npgsql;
using QueueExporter.Runner.Leadership;
using QueueExporter.Runner.Rescue;

namespace QueueExporter.Runner.Database;

/// <summary>
/// The runner's SQL for one database, behind a seam: the glue (database actor, dispatcher) is tested
/// with a fake store for its interleavings, while <see cref="PostgresRunnerStore"/> keeps its own tests
/// against real PostgreSQL. Every write takes the <see cref="Lease"/> it acts for and is fenced by it.
/// </summary>
internal interface IRunnerStore : IAsyncDisposable
{
    /// <summary>Streams every active job (pending, enqueued, started, failed) into <paramref name="sink"/>, running and failed ones first.</summary>
    /// <param name="session">The listening session to read on (periodic reads), or null for a pooled connection.</param>
    /// <param name="sink">Takes the read slice by slice.</param>
    /// <param name="cancellationToken">Stops the read.</param>
    Task LoadActiveAsync(NpgsqlConnection? session, IJobLoadSink sink, CancellationToken cancellationToken);

    /// <summary>
    /// Opens one pooled connection, plans the enqueue UPDATE on it without running it, and gives it back to the pool,
    /// while a load holds another: the first dispatch's enqueue UPDATE then finds a connection already open (and the
    /// server's and client's first-use costs paid) instead of paying them behind the first rows.
    /// Nothing depends on it: a store without a pool does nothing.
    /// </summary>
    Task WarmUpAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The current rows of these uuids.</summary>
    Task<JobRows> ReadByUuidsAsync(IReadOnlyCollection<string> uuids, CancellationToken cancellationToken);

    /// <summary>Rescues dead enqueued/started jobs while <paramref name="lease"/> holds, on <paramref name="session"/> (null: a pooled connection).</summary>
    Task<IReadOnlyList<RescuedJob>> RescueAsync(Lease lease, NpgsqlConnection? session, CancellationToken cancellationToken);

    /// <summary>Moves the still-pending jobs among <paramref name="uuids"/> to enqueued while <paramref name="lease"/> holds; returns those moved.</summary>
    Task<HashSet<string>> MarkEnqueuedAsync(Lease lease, IReadOnlyCollection<string> uuids, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Whether the leader session of <paramref name="lease"/> still holds the lock, as the database sees it now.</summary>
    Task<bool> IsLeaseHeldAsync(Lease lease, CancellationToken cancellationToken);

    /// <summary>Puts a job the worker never received back to pending, if still enqueued and <paramref name="lease"/> holds.</summary>
    Task<bool> ResetToPendingAsync(Lease lease, string uuid, CancellationToken cancellationToken);
}
