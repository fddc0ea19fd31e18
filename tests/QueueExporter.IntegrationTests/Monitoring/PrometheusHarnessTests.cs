namespace QueueExporter.IntegrationTests.Monitoring;

/// <summary>
/// The real Prometheus and Alertmanager with the shipped configuration, before any exporter is
/// involved: every dashboard query is valid PromQL for Prometheus itself (promtool only checks
/// the rules), and an alert travels from the shipped rules through the shipped routing.
/// </summary>
public sealed class PrometheusHarnessTests
{
    [Fact]
    public async Task Prometheus_accepts_every_dashboard_query_and_every_rule_expression()
    {
        await using var prometheus = await PrometheusTestServer.StartAsync(new Dictionary<string, string>());
        var expressions = GeneratedDashboards.AllQueries().Concat(GeneratedDashboards.AnnotationQueries())
            .Select(q => (Where: q.Describe(), Expr: GrafanaVariables.Expand(q.Expr)))
            .Concat(PrometheusRuleFiles.LoadAll().Select(r => (Where: r.Describe(), r.Expr)))
            .ToList();
        Assert.NotEmpty(expressions);

        var rejected = new List<string>();
        foreach (var (where, expr) in expressions)
        {
            var result = await prometheus.QueryAsync(expr);
            if (!result.Accepted)
            {
                rejected.Add($"{where}: {result.Error}");
            }
        }

        Assert.Empty(rejected);
    }

    [Fact]
    public async Task An_exporter_that_stops_answering_raises_QueueExporterDown_routed_to_chat_by_Alertmanager()
    {
        await using var alertmanager = await AlertmanagerTestServer.StartAsync();
        // Nothing listens on this port: the scraper target is down from the first scrape.
        var deadScraper = $"127.0.0.1:{LoopbackPort.Free()}";
        await using var prometheus = await PrometheusTestServer.StartAsync(
            new Dictionary<string, string> { ["queue-exporter-scraper"] = deadScraper }, alertmanager.HostAndPort);

        IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, IReadOnlyList<string> Receivers)> alerts = [];
        await QueueExporter.TestSupport.Eventually.UntilAsync(async () =>
        {
            alerts = await alertmanager.AlertsAsync("QueueExporterDown");
            return alerts.Count > 0;
        }, TimeSpan.FromSeconds(60), $"QueueExporterDown reaches Alertmanager. Prometheus: {prometheus.Output} Alertmanager: {alertmanager.Output}");

        var (labels, receivers) = Assert.Single(alerts);
        Assert.Equal("queue-exporter-scraper", labels["job"]);
        Assert.Equal(deadScraper, labels["instance"]);
        Assert.Equal("warning", labels["severity"]);
        Assert.Equal(["queue-team-chat"], receivers);
    }
}
