namespace QueueExporter.Runner.Channels;

/// <summary>
/// One entry of the OCA channels string, e.g. <c>root.mail:2:throttle=5</c>.
/// </summary>
/// <param name="Name">Full dotted name, always starting with <c>root</c>.</param>
/// <param name="Capacity">Jobs allowed to run at once through this channel; 0 means unlimited (an OCA quirk).</param>
/// <param name="Sequential">One job at a time, in order; blocked while the channel holds a failed job.</param>
/// <param name="ThrottleSeconds">Pause, in seconds, after each dispatch through this channel; 0 = none.</param>
/// <param name="Paused">Nothing is dispatched through this channel while set.</param>
/// <param name="IgnoredKeys">Keys OCA would accept but this runner does not use (reported, not fatal).</param>
public sealed record ChannelConfiguration(
    string Name,
    int Capacity,
    bool Sequential = false,
    int ThrottleSeconds = 0,
    bool Paused = false,
    IReadOnlyList<string>? IgnoredKeys = null)
{
    /// <summary>The capacity as OCA prints it: ∞ when unlimited.</summary>
    public string DescribeCapacity() => Capacity == 0 ? "∞" : Capacity.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
