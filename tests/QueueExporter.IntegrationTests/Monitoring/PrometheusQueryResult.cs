namespace QueueExporter.IntegrationTests.Monitoring;

/// <summary>
/// The answer of Prometheus' /api/v1/query: accepted or not (with Prometheus' error), how many
/// series it returned, and the first value (a scalar's value, or the first series').
/// </summary>
internal sealed record PrometheusQueryResult(bool Accepted, string? Error, int SeriesCount, double? FirstValue);
