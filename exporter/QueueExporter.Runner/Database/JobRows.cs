using QueueExporter.Runner.Channels;

namespace QueueExporter.Runner.Database;

/// <summary>What one read of queue_job gave: the rows the scheduler can use, and the rows it cannot, with why.</summary>
/// <param name="Facts">Decoded rows (wait_dependencies rows are left out: nothing to schedule yet).</param>
/// <param name="Skipped">Rows left out or clamped, each as (reason label, row id); never stops the read.</param>
internal sealed record JobRows(List<JobFacts> Facts, List<(string Reason, long Id)> Skipped)
{
    /// <summary>An empty read.</summary>
    public static JobRows Empty() => new([], []);
}
