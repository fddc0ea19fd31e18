using QueueExporter.Runner.Channels;

namespace QueueExporter.Runner.Database;

/// <summary>One slice of a full load: the rows the scheduler can use in their compact form, and the rows it cannot, with why.</summary>
/// <param name="Jobs">Decoded rows (wait_dependencies rows are left out: nothing to schedule yet).</param>
/// <param name="Skipped">Rows left out or clamped, each as (reason label, row id); never stops the read.</param>
internal sealed record LoadSlice(List<LoadedJob> Jobs, List<(string Reason, long Id)> Skipped);
