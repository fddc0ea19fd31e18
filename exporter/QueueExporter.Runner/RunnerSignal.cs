using QueueExporter.Runner.Channels;
using QueueExporter.Runner.Database;

namespace QueueExporter.Runner;

/// <summary>
/// What the databases tell the runner loop; the loop alone touches the scheduler. Every signal carries
/// the epoch of the lease it was read under: the loop applies facts only of a database's current lease,
/// so a load or re-read still in flight when a lease ended can never bring its jobs back.
/// </summary>
internal abstract record RunnerSignal(string Database, long Epoch);

/// <summary>This runner now leads the database under a new lease; facts of earlier leases are void.</summary>
internal sealed record LeaseStarted(string Database, long Epoch) : RunnerSignal(Database, Epoch);

/// <summary>
/// A full read of the database's active jobs begins: everything held for it is forgotten, and the rows follow
/// as <see cref="JobsLoaded"/> slices (the running and failed ones first, so capacities are right before the
/// first pending job can be picked).
/// </summary>
internal sealed record DatabaseLoading(string Database, long Epoch) : RunnerSignal(Database, Epoch);

/// <summary>One slice of a full read; the loop returns <paramref name="Credits"/> once it has applied (or dropped) it.</summary>
internal sealed record JobsLoaded(string Database, long Epoch, List<LoadedJob> Jobs, SliceCredits? Credits = null) : RunnerSignal(Database, Epoch);

/// <summary>Re-read rows; <paramref name="Gone"/> are uuids without a row the scheduler can hold any more.</summary>
internal sealed record JobsChanged(string Database, long Epoch, List<JobFacts> Facts, IReadOnlyCollection<string> Gone) : RunnerSignal(Database, Epoch);

/// <summary>The lease ended (lock or connection lost, database gone): forget the database's jobs at once.</summary>
internal sealed record DatabaseReleased(string Database, long Epoch) : RunnerSignal(Database, Epoch);
