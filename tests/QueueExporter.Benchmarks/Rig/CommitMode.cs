namespace QueueExporter.Benchmarks.Rig;

/// <summary>How commits wait for the WAL: the two modes every throughput figure is measured in.</summary>
internal enum CommitMode
{
    /// <summary>synchronous_commit = on (with fsync on): a commit returns once its WAL is on disk.</summary>
    Durable,

    /// <summary>synchronous_commit = off: a commit returns before its WAL is flushed (a crash may lose the last ~0.6 s).</summary>
    Async,
}
