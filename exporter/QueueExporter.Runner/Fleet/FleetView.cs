namespace QueueExporter.Runner.Fleet;

/// <summary>What one replica knows of the fleet: its own slot and every live member's, as PostgreSQL shows them.</summary>
/// <param name="Slot">This replica's slot.</param>
/// <param name="Members">The slots of every live replica, this one included, sorted.</param>
public sealed record FleetView(int Slot, IReadOnlyList<int> Members)
{
    public bool Equals(FleetView? other) => other is not null && Slot == other.Slot && Members.SequenceEqual(other.Members);

    public override int GetHashCode() => HashCode.Combine(Slot, Members.Count);
}
