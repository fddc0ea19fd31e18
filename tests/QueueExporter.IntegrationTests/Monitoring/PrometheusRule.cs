namespace QueueExporter.IntegrationTests.Monitoring;

/// <summary>One rule of a Prometheus rule file: an alert (Alert set) or a recording rule (Record set).</summary>
internal sealed record PrometheusRule(
    string File,
    string Group,
    string? Alert,
    string? Record,
    string Expr,
    string? For,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyDictionary<string, string> Annotations)
{
    public string Describe() => $"{Path.GetFileName(File)}: {Alert ?? Record} ({Group})";
}
