namespace QueueExporter.Runner.Channels;

/// <summary>Over what a channel's capacity counts running jobs.</summary>
public enum CapacityScope
{
    /// <summary>
    /// Across every database this runner leads, as OCA's runner counts them (the default: a drop-in
    /// replacement behaves the same). In a fleet, each replica then allows the capacity over its own share.
    /// </summary>
    Runner,

    /// <summary>
    /// Per server: each PostgreSQL server the runner serves gets the configured capacities for its own
    /// databases. Several servers usually mean several Odoo installations, each with its own workers, which
    /// one runner-wide count would make wait for each other.
    /// </summary>
    Server,

    /// <summary>
    /// Per database: each database gets the configured capacity for itself, whichever replica leads it, so
    /// a hand-over between replicas does not change how many of its jobs may run.
    /// </summary>
    Database,
}
