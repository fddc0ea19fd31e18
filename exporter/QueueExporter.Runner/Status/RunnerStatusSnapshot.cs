namespace QueueExporter.Runner.Status;

/// <summary>What the runner's status page shows, read at one moment.</summary>
/// <param name="At">When it was read.</param>
/// <param name="Version">The exporter's version.</param>
/// <param name="LoopAlive">Whether the scheduling loop completed an iteration recently.</param>
/// <param name="Starting">True until every database found at start has been tried.</param>
/// <param name="DiscoveryFailure">Why the last listing of the server's databases failed; null when it worked.</param>
/// <param name="Databases">Each database served, by name.</param>
/// <param name="Channels">Each channel, by name.</param>
/// <param name="LastDispatches">The last runjob calls, newest first.</param>
/// <param name="LastFailures">The last failed runjob calls, newest first.</param>
/// <param name="Fleet">In a fleet, this replica's membership in one line; null outside a fleet.</param>
/// <param name="FleetMember">Whether this replica is a current member of its fleet (true outside a fleet).</param>
public sealed record RunnerStatusSnapshot(
    DateTimeOffset At,
    string Version,
    bool LoopAlive,
    bool Starting,
    string? DiscoveryFailure,
    IReadOnlyList<DatabaseSnapshot> Databases,
    IReadOnlyList<ChannelSnapshot> Channels,
    IReadOnlyList<DispatchRecord> LastDispatches,
    IReadOnlyList<DispatchRecord> LastFailures,
    string? Fleet = null,
    bool FleetMember = true);
