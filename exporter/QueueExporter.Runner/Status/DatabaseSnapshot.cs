namespace QueueExporter.Runner.Status;

/// <summary>One database as the status page shows it.</summary>
/// <param name="Name">The database name.</param>
/// <param name="Status">starting, leading, standby, misconfigured, disconnected or failed.</param>
/// <param name="Served">Led here or by another runner (what /healthz requires).</param>
/// <param name="Leading">Whether this runner holds the leader lock and dispatches its jobs.</param>
/// <param name="Reason">Why it is not served, one line; empty otherwise.</param>
public sealed record DatabaseSnapshot(string Name, string Status, bool Served, bool Leading, string Reason);
