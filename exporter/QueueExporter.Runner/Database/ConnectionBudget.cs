namespace QueueExporter.Runner.Database;

/// <summary>
/// How many pooled connections the runner uses at once across all its databases, beside the one
/// listening session each database keeps. A connection is bound to its database, so each database has
/// a pool of its own; this budget is what bounds them together: a database's work waits for a slot
/// rather than opening one more connection, and idle pooled connections close after a few seconds.
/// </summary>
internal sealed class ConnectionBudget(int max) : IDisposable
{
    private readonly SemaphoreSlim _slots = new(max, max);

    /// <summary>The most connections in use at once.</summary>
    public int Max => max;

    /// <summary>Runs <paramref name="work"/> once a slot is free; the slot is held until it completes.</summary>
    public async Task<T> RunAsync<T>(Func<Task<T>> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        await _slots.WaitAsync(cancellationToken);
        try
        {
            return await work();
        }
        finally
        {
            _slots.Release();
        }
    }

    public void Dispose() => _slots.Dispose();
}
