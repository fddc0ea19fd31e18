namespace QueueExporter.Runner.Status;

/// <summary>One channel as the status page shows it (the runner's channels span every database it leads, as OCA's do).</summary>
/// <param name="Name">Full channel name.</param>
/// <param name="Capacity">Configured capacity; 0 = unlimited.</param>
/// <param name="Running">Jobs enqueued or started in it or below it.</param>
/// <param name="Queued">Pending jobs that may run now but wait for room.</param>
/// <param name="WaitingForEta">Pending jobs whose eta is in the future.</param>
/// <param name="Failed">Failed jobs of the channel.</param>
public sealed record ChannelSnapshot(string Name, int Capacity, int Running, int Queued, int WaitingForEta, int Failed);
