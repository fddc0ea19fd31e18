namespace QueueExporter.IntegrationTests.Monitoring;

/// <summary>
/// What Grafana substitutes into a panel query before Prometheus sees it, with the dashboards'
/// defaults: "All" for job, instance, database and channel (allValue ".*"), and intervals for a short range.
/// </summary>
internal static class GrafanaVariables
{
    public static string Expand(string expression) => expression
        .Replace("$__rate_interval", "1m", StringComparison.Ordinal)
        .Replace("$__interval", "15s", StringComparison.Ordinal)
        .Replace("$__range", "1h", StringComparison.Ordinal)
        .Replace("$job", ".*", StringComparison.Ordinal)
        .Replace("$instance", ".*", StringComparison.Ordinal)
        .Replace("$server", ".*", StringComparison.Ordinal)
        .Replace("$database", ".*", StringComparison.Ordinal)
        .Replace("$channel", ".*", StringComparison.Ordinal);
}
