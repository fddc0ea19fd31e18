namespace QueueExporter.QueueJob.Schema;

/// <summary>The values of <c>queue_job.state</c>.</summary>
public static class JobStates
{
    /// <summary>Waiting for parent jobs (14.0+).</summary>
    public const string WaitDependencies = "wait_dependencies";
    /// <summary>Ready to run once its eta has passed.</summary>
    public const string Pending = "pending";
    /// <summary>Handed to a worker by a runner, not started yet.</summary>
    public const string Enqueued = "enqueued";
    /// <summary>Running in a worker.</summary>
    public const string Started = "started";
    /// <summary>Finished successfully.</summary>
    public const string Done = "done";
    /// <summary>Cancelled by a person (14.0+).</summary>
    public const string Cancelled = "cancelled";
    /// <summary>Failed for good.</summary>
    public const string Failed = "failed";

    /// <summary>Every state of 14.0 and later, in lifecycle order.</summary>
    public static readonly IReadOnlyList<string> All = [WaitDependencies, Pending, Enqueued, Started, Done, Cancelled, Failed];

    /// <summary>The states of 12.0 and 13.0.</summary>
    public static readonly IReadOnlyList<string> Classic = [Pending, Enqueued, Started, Done, Failed];

    /// <summary>States a runner keeps in memory (OCA loads these at start).</summary>
    public static readonly IReadOnlyList<string> Active = [WaitDependencies, Pending, Enqueued, Started, Failed];

    /// <summary>Whether a state ends a job's life (it will not run again unless a person requeues it).</summary>
    public static bool IsTerminal(string state) => state is Done or Cancelled or Failed;

    /// <summary>Whether the value is one of the known states.</summary>
    /// <remarks>A pattern, not a search of <see cref="All"/>: the runner asks it for every row of a load.</remarks>
    public static bool IsKnown(string state) => state is WaitDependencies or Pending or Enqueued or Started or Done or Cancelled or Failed;
}
