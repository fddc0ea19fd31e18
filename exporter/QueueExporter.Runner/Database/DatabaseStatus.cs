namespace QueueExporter.Runner.Database;

/// <summary>Where one database stands for this runner; <see cref="DatabaseHealth.IsServed"/> decides /healthz.</summary>
internal enum DatabaseStatus
{
    /// <summary>Connecting for the first time.</summary>
    Starting,

    /// <summary>This runner holds the leader lock and dispatches the database's jobs.</summary>
    Leading,

    /// <summary>Another runner (ours or OCA's) holds the lock: this one stands by, as it should.</summary>
    Standby,

    /// <summary>The database cannot be served as it is (no table, wrong shape, no rights, no trigger).</summary>
    Misconfigured,

    /// <summary>The listening session is lost or cannot be opened; retrying.</summary>
    Disconnected,

    /// <summary>The database's work failed unexpectedly; it is being restarted with backoff.</summary>
    Failed,
}
