namespace QueueExporter.Runner.Database;

/// <summary>
/// Bounds the slices of a load that are read but not yet applied by the runner loop: the reader takes a
/// credit before posting a slice and the loop returns it once the slice is applied (or dropped as stale).
/// A loop slower than PostgreSQL then slows the read down instead of letting rows pile up in memory.
/// </summary>
internal sealed class SliceCredits(int slices)
{
    // Never disposed: only its wait handle would need it, and that is never asked for.
    private readonly SemaphoreSlim _credits = new(slices, slices);

    /// <summary>Waits for a free credit.</summary>
    public Task TakeAsync(CancellationToken cancellationToken) => _credits.WaitAsync(cancellationToken);

    /// <summary>A slice was applied or dropped.</summary>
    public void Return() => _credits.Release();
}
