namespace QueueExporter.Runner.Database;

/// <summary>What may be asked of a <see cref="DatabaseActor"/>: requests, never facts. Only the actor reads the table for its database.</summary>
internal abstract record DatabaseRequest;

/// <summary>Read every active job again (after a (re)connection, a failed write, or the safety poll).</summary>
internal sealed record ResyncRequest : DatabaseRequest
{
    public static readonly ResyncRequest Instance = new();
}

/// <summary>Read these jobs again (notified changes, or jobs a dispatch found not pending).</summary>
internal sealed record RereadRequest(IReadOnlyCollection<string> Uuids) : DatabaseRequest;

/// <summary>Run the dead-job rescue (and a reload a failed read left pending).</summary>
internal sealed record RescueRequest : DatabaseRequest
{
    public static readonly RescueRequest Instance = new();
}
