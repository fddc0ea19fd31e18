namespace QueueExporter.Runner.Database;

/// <summary>What may be asked of a <see cref="DatabaseActor"/>: requests, never facts. Only the actor reads the table for its database.</summary>
internal abstract record DatabaseRequest;

/// <summary>Read every active job again (after a (re)connection, a failed write, or the safety poll).</summary>
/// <param name="OnSession">Whether the read may wait for the listening session (the periodic safety poll) rather than take a pooled connection.</param>
internal sealed record ResyncRequest(bool OnSession) : DatabaseRequest
{
    /// <summary>A reload wanted now, on a pooled connection.</summary>
    public static readonly ResyncRequest Now = new(false);

    /// <summary>The periodic reload, on the listening session.</summary>
    public static readonly ResyncRequest Periodic = new(true);
}

/// <summary>Read these jobs again (notified changes, or jobs a dispatch found not pending).</summary>
/// <param name="Uuids">The jobs.</param>
/// <param name="Notified">True for a notification batch: the echoes of the runner's own enqueue UPDATE are skipped (<see cref="Dispatch.EnqueueEchoes"/>).</param>
internal sealed record RereadRequest(IReadOnlyCollection<string> Uuids, bool Notified = false) : DatabaseRequest
{
    /// <summary>Nothing new: the reader's own wake-up for the deferred re-reads now due (<see cref="DeferredRereads"/>).</summary>
    public static readonly RereadRequest DeferredDue = new([]);
}

/// <summary>Run the dead-job rescue, on the listening session (and a reload a failed read left pending).</summary>
internal sealed record RescueRequest : DatabaseRequest
{
    public static readonly RescueRequest Instance = new();
}
