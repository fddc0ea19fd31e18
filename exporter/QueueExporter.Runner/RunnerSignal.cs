using QueueExporter.Runner.Channels;

namespace QueueExporter.Runner;

/// <summary>What the I/O edges tell the runner loop; the loop alone touches the scheduler.</summary>
internal abstract record RunnerSignal;

/// <summary>A full read of a database's active jobs: replaces everything held for it.</summary>
internal sealed record DatabaseLoaded(string Database, List<JobFacts> Facts) : RunnerSignal;

/// <summary>Re-read rows; <paramref name="Gone"/> are uuids whose row no longer exists.</summary>
internal sealed record JobsChanged(string Database, List<JobFacts> Facts, IReadOnlyCollection<string> Gone) : RunnerSignal;

/// <summary>This runner no longer leads the database (lock or connection lost): forget its jobs.</summary>
internal sealed record DatabaseReleased(string Database) : RunnerSignal;
