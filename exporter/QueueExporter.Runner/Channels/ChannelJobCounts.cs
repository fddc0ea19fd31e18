namespace QueueExporter.Runner.Channels;

/// <summary>A channel's counters for metrics and the OCA-style <c>root(C:4,Q:0,R:0,F:0)</c> log line.</summary>
/// <param name="Channel">Full channel name.</param>
/// <param name="Capacity">Configured capacity; 0 = unlimited.</param>
/// <param name="Queued">Pending jobs of this channel (and of its unconfigured subchannels) that may run now but wait for room.</param>
/// <param name="Running">Jobs enqueued or started in this channel or any channel below it (what the capacity bounds).</param>
/// <param name="Failed">Failed jobs of this channel and of its unconfigured subchannels (only the channel's own block it when sequential).</param>
/// <param name="WaitingForEta">Pending jobs of this channel (and of its unconfigured subchannels) whose eta is in the future.</param>
public readonly record struct ChannelJobCounts(string Channel, int Capacity, int Queued, int Running, int Failed, int WaitingForEta)
{
    /// <summary>OCA's channel description, e.g. <c>root(C:4,Q:0,R:0,F:0)</c>.</summary>
    public override string ToString() =>
        string.Create(
            System.Globalization.CultureInfo.InvariantCulture,
            $"{Channel}(C:{(Capacity == 0 ? "∞" : Capacity.ToString(System.Globalization.CultureInfo.InvariantCulture))},Q:{Queued + WaitingForEta},R:{Running},F:{Failed})");
}
