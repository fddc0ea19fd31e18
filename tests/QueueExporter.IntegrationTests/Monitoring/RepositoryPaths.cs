namespace QueueExporter.IntegrationTests.Monitoring;

/// <summary>
/// Paths of the monitoring-as-code files in the checkout the tests run from: the tests check the
/// files as committed, not copies in the build output.
/// </summary>
internal static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string Alerts => Path.Combine(Root, "alerts");
    public static string AlertTests => Path.Combine(Root, "alerts", "tests");
    public static string Runbook => Path.Combine(Root, "alerts", "runbook.md");
    public static string Dashboards => Path.Combine(Root, "dashboards");
    public static string GeneratedDashboards => Path.Combine(Root, "dashboards", "generated");
    public static string PrometheusConfig => Path.Combine(Root, "deploy", "prometheus", "prometheus.yml");
    public static string AlertmanagerConfig => Path.Combine(Root, "deploy", "alertmanager", "alertmanager.yml");
    public static string GrafanaDashboardProvider => Path.Combine(Root, "deploy", "grafana", "provisioning", "dashboards", "queue-exporter.yml");
    public static string ComposeFile => Path.Combine(Root, "docker-compose.monitoring.yml");

    public static IReadOnlyList<string> RuleFiles =>
        [.. Directory.GetFiles(Alerts, "*.rules.yml").Order(StringComparer.Ordinal)];

    public static IReadOnlyList<string> RuleTestFiles =>
        [.. Directory.GetFiles(AlertTests, "*.test.yml").Order(StringComparer.Ordinal)];

    public static IReadOnlyList<string> GeneratedDashboardFiles =>
        [.. Directory.GetFiles(GeneratedDashboards, "*.json").Order(StringComparer.Ordinal)];

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "QueueExporter.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No QueueExporter.sln above {AppContext.BaseDirectory}");
    }
}
