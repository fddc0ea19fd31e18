using System.Text.Json;

namespace QueueExporter.IntegrationTests.Monitoring;

/// <summary>
/// The dashboards are TypeScript (dashboards/src, Grafana Foundation SDK); the JSON Grafana loads
/// is generated and committed (MixinGenerationTests checks it is up to date). These tests check
/// what every dashboard and panel must carry.
/// </summary>
public sealed class DashboardTests
{
    [Fact]
    public void Every_panel_has_a_title_a_description_a_unit_and_reads_the_chosen_datasource()
    {
        var problems = new List<string>();
        var panels = 0;
        foreach (var file in RepositoryPaths.GeneratedDashboardFiles)
        {
            using var dashboard = GeneratedDashboards.Load(file);
            foreach (var panel in GeneratedDashboards.Panels(dashboard.RootElement))
            {
                panels++;
                var where = $"{Path.GetFileName(file)} / '{GeneratedDashboards.Title(panel)}'";
                if (string.IsNullOrWhiteSpace(GeneratedDashboards.Title(panel)))
                {
                    problems.Add($"{where}: no title");
                }

                if (!panel.TryGetProperty("description", out var description) || string.IsNullOrWhiteSpace(description.GetString()))
                {
                    problems.Add($"{where}: no description");
                }

                if (!panel.TryGetProperty("fieldConfig", out var fieldConfig)
                    || !fieldConfig.GetProperty("defaults").TryGetProperty("unit", out var unit)
                    || string.IsNullOrWhiteSpace(unit.GetString()))
                {
                    problems.Add($"{where}: no unit");
                }

                if (DatasourceUid(panel) != "${datasource}")
                {
                    problems.Add($"{where}: panel datasource is not the datasource variable");
                }

                if (!panel.TryGetProperty("targets", out var targets) || targets.GetArrayLength() == 0)
                {
                    problems.Add($"{where}: no query");
                }
                else if (targets.EnumerateArray().Any(t => DatasourceUid(t) != "${datasource}"))
                {
                    problems.Add($"{where}: a query does not use the datasource variable");
                }
            }
        }

        Assert.True(panels >= 20, $"expected the two dashboards' panels, found {panels}");
        Assert.Empty(problems);
    }

    [Fact]
    public void Every_dashboard_offers_datasource_job_instance_database_and_channel_variables_and_the_runner_server()
    {
        Assert.Equal(["queue-exporter-overview.json", "queue-exporter-runner.json"],
            RepositoryPaths.GeneratedDashboardFiles.Select(Path.GetFileName));
        foreach (var file in RepositoryPaths.GeneratedDashboardFiles)
        {
            using var dashboard = GeneratedDashboards.Load(file);
            var variables = GeneratedDashboards.Variables(dashboard.RootElement)
                .Select(v => (Name: v.GetProperty("name").GetString()!, Type: v.GetProperty("type").GetString()))
                .ToList();

            // The runner's per-database series also name their PostgreSQL server: one runner may serve several.
            (string, string?)[] expected = Path.GetFileName(file) == "queue-exporter-runner.json"
                ? [("datasource", "datasource"), ("job", "query"), ("instance", "query"), ("server", "query"), ("database", "query"), ("channel", "query")]
                : [("datasource", "datasource"), ("job", "query"), ("instance", "query"), ("database", "query"), ("channel", "query")];
            Assert.Equal(expected, variables);
            Assert.Equal(Path.GetFileNameWithoutExtension(file), dashboard.RootElement.GetProperty("uid").GetString());
        }
    }

    [Fact]
    public void Every_query_is_narrowed_by_the_job_and_instance_variables_where_its_metric_has_targets()
    {
        // Every query of a scraper or runner metric carries job=~"$job" and instance=~"$instance"
        // (worker series on the runner dashboard are narrowed by the worker's selector instead).
        var problems = GeneratedDashboards.AllQueries()
            .Where(q => q.Source.StartsWith("panel", StringComparison.Ordinal))
            .Where(q => !q.Expr.Contains("queue_worker_", StringComparison.Ordinal))
            .Where(q => !q.Expr.Contains("job=~\"$job\", instance=~\"$instance\"", StringComparison.Ordinal))
            .Select(q => q.Describe())
            .ToList();

        Assert.Empty(problems);
    }

    [Fact]
    public void Dashboards_link_to_each_other_and_to_the_runbook_and_annotate_firing_alerts()
    {
        var uids = RepositoryPaths.GeneratedDashboardFiles.Select(Path.GetFileNameWithoutExtension).ToList();
        foreach (var file in RepositoryPaths.GeneratedDashboardFiles)
        {
            using var dashboard = GeneratedDashboards.Load(file);
            var root = dashboard.RootElement;
            var urls = root.GetProperty("links").EnumerateArray().Select(l => l.GetProperty("url").GetString() ?? "").ToList();
            foreach (var other in uids.Where(uid => uid != root.GetProperty("uid").GetString()))
            {
                Assert.Contains(urls, url => url.StartsWith($"/d/{other}?", StringComparison.Ordinal));
            }

            Assert.Contains("alerts/runbook.md", urls);
            var annotation = Assert.Single(root.GetProperty("annotations").GetProperty("list").EnumerateArray());
            Assert.StartsWith("ALERTS{alertstate=\"firing\"", annotation.GetProperty("expr").GetString(), StringComparison.Ordinal);
            Assert.Equal("${datasource}", DatasourceUid(annotation));
        }
    }

    [Fact]
    public void Panel_thresholds_and_runbook_links_come_from_the_configuration_the_rules_use()
    {
        // The red step of a stat panel is the default of the threshold its alert compares with.
        var thresholds = PrometheusRuleFiles.LoadAll().Where(r => r.Record?.StartsWith("queue_job:alert_threshold:", StringComparison.Ordinal) == true && r.Labels.Count == 0)
            .ToDictionary(r => r.Record!["queue_job:alert_threshold:".Length..], r => double.Parse(r.Expr["vector(".Length..^1], System.Globalization.CultureInfo.InvariantCulture), StringComparer.Ordinal);
        (string File, string Panel, string Threshold, string Alert)[] expected =
        [
            ("queue-exporter-overview.json", "Oldest runnable pending", "pending_age_seconds", "QueueJobQueueStuck"),
            ("queue-exporter-overview.json", "Age of the figures", "scrape_stale_seconds", "QueueJobScrapeStale"),
            ("queue-exporter-runner.json", "Heartbeat age", "runner_heartbeat_stale_seconds", "QueueJobRunnerDown"),
        ];
        foreach (var (file, title, threshold, alert) in expected)
        {
            using var dashboard = GeneratedDashboards.Load(Path.Combine(RepositoryPaths.GeneratedDashboards, file));
            var panel = Assert.Single(GeneratedDashboards.Panels(dashboard.RootElement), p => GeneratedDashboards.Title(p) == title);
            var red = panel.GetProperty("fieldConfig").GetProperty("defaults").GetProperty("thresholds").GetProperty("steps").EnumerateArray()
                .Single(step => step.GetProperty("color").GetString() == "red").GetProperty("value").GetDouble();
            Assert.Equal(thresholds[threshold], red);
            Assert.Contains(panel.GetProperty("links").EnumerateArray(), l => l.GetProperty("url").GetString() == $"alerts/runbook.md#{alert.ToLowerInvariant()}");
        }
    }

    private static string? DatasourceUid(JsonElement element) =>
        element.TryGetProperty("datasource", out var datasource) && datasource.TryGetProperty("uid", out var uid)
            ? uid.GetString()
            : null;
}
