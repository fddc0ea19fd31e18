namespace QueueExporter.Benchmarks;

/// <summary>
/// One measured figure with what it is compared against.
/// </summary>
/// <param name="Scenario">The scenario that measured it.</param>
/// <param name="Name">What was measured, e.g. "completed jobs/s (durable)".</param>
/// <param name="Value">Our measurement.</param>
/// <param name="Unit">Unit of <paramref name="Value"/>.</param>
/// <param name="Reference">The comparison point (the ceiling measured in the same run, or OCA's figure from the product brief), when there is one.</param>
/// <param name="Target">The product target as text, e.g. "≥ 0.7× ceiling".</param>
/// <param name="Met">Whether the target is met; null when the figure has no target.</param>
internal sealed record Figure(string Scenario, string Name, double Value, string Unit, string Reference, string Target, bool? Met)
{
    /// <summary>Value divided by the ceiling, for throughput figures; null otherwise.</summary>
    public double? Ratio { get; init; }
}
