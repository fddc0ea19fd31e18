namespace QueueExporter.Worker.Storage;

/// <summary>What a skipped request's job looked like, for its metric labels and log line.</summary>
internal sealed record JobLabels(string Channel, string Function, string? State)
{
    /// <summary>For a uuid no row has.</summary>
    public static readonly JobLabels Missing = new("unknown", "unknown", null);
}
