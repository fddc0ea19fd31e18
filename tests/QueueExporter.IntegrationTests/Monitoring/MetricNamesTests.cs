namespace QueueExporter.IntegrationTests.Monitoring;

/// <summary>
/// A panel or alert that names a metric nobody exports shows nothing and never fires: every
/// name in dashboards and rules must be one the exporters document (<see cref="DocumentedMetrics"/>)
/// or one a recording rule defines.
/// </summary>
public sealed class MetricNamesTests
{
    [Fact]
    public void Every_metric_the_dashboards_and_rules_select_is_documented_or_recorded()
    {
        var rules = PrometheusRuleFiles.LoadAll();
        var recorded = rules.Select(r => r.Record).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var expressions = rules.Select(r => (Where: r.Describe(), r.Expr))
            .Concat(GeneratedDashboards.AllQueries().Select(q => (Where: q.Describe(), q.Expr)))
            .ToList();
        Assert.True(expressions.Count > 40, $"expected the rules' and dashboards' expressions, found {expressions.Count}");

        var unknown = expressions
            .SelectMany(e => PromQlMetricNames.Extract(e.Expr).Select(name => (e.Where, Name: name)))
            .Where(use => !recorded.Contains(use.Name) && DocumentedMetrics.Resolve(use.Name) is null)
            .Select(use => $"{use.Name} in {use.Where}")
            .ToList();

        Assert.Empty(unknown);
    }

    [Fact]
    public void Every_dashboard_query_selects_at_least_one_metric()
    {
        var queries = GeneratedDashboards.AllQueries();
        Assert.NotEmpty(queries);

        Assert.Empty(queries.Where(q => PromQlMetricNames.Extract(q.Expr).Count == 0).Select(q => q.Describe()));
    }

    [Fact]
    public void Dashboards_and_alerts_together_cover_each_exporters_headline_metrics()
    {
        var used = PrometheusRuleFiles.LoadAll().Select(r => r.Expr)
            .Concat(GeneratedDashboards.AllQueries().Select(q => q.Expr))
            .SelectMany(PromQlMetricNames.Extract)
            .Select(DocumentedMetrics.Resolve)
            .OfType<string>()
            .ToHashSet(StringComparer.Ordinal);

        // The scraper's log line counters are for ad-hoc queries; so is the
        // planner's estimate of done/cancelled/failed, which exists only once the table has been
        // analysed (a panel on it would be empty on small or new tables). Everything else an
        // exporter documents has a panel or an alert.
        string[] notShown = ["queue_job_log_lines_total", "queue_job_log_last_line_timestamp_seconds", "queue_job_jobs_estimated"];
        var missing = DocumentedMetrics.Names.Except(used).Except(notShown).Order(StringComparer.Ordinal).ToList();

        Assert.Empty(missing);
    }
}
