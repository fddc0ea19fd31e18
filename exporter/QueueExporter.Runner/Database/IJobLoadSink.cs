namespace QueueExporter.Runner.Database;

/// <summary>
/// Where a full read of a database's active jobs goes as it is read: slice by slice, so that the runner
/// never holds the whole table as rows (only the scheduler's compact form of it), and starts dispatching
/// from the first slice. A read may start again (a broken pooled connection is retried once): each
/// <see cref="StartAsync"/> replaces everything the previous start sent.
/// </summary>
internal interface IJobLoadSink
{
    /// <summary>A full read begins: what is held for the database is replaced by the slices that follow.</summary>
    /// <param name="cancellationToken">Stops the read.</param>
    ValueTask StartAsync(CancellationToken cancellationToken);

    /// <summary>The next rows of the read; waits while the runner loop has too many slices still to apply.</summary>
    ValueTask AddAsync(LoadSlice slice, CancellationToken cancellationToken);
}
