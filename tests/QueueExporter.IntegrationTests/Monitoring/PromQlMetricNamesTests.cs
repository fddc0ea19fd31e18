namespace QueueExporter.IntegrationTests.Monitoring;

/// <summary>The metric-name extraction behind <see cref="MetricNamesTests"/>, on our own constructs.</summary>
public sealed class PromQlMetricNamesTests
{
    [Theory]
    [InlineData("up{job=~\"queue-exporter-.*\"} == 0", "up")]
    [InlineData("sum by (database, channel) (rate(queue_job_completed_total{state=\"done\"}[5m])) * 60", "queue_job_completed_total")]
    [InlineData("histogram_quantile(0.95, sum by (channel, le) (rate(queue_runner_dispatch_latency_seconds_bucket{channel=~\"$channel\"}[$__rate_interval])))", "queue_runner_dispatch_latency_seconds_bucket")]
    [InlineData("time() - max by (job, instance) (queue_runner_heartbeat_timestamp_seconds) > on() group_left() queue_job:alert_threshold:x", "queue_job:alert_threshold:x queue_runner_heartbeat_timestamp_seconds")]
    [InlineData("a_total unless on (database, channel) sum(increase(b_total[15m] offset 1h)) > 0", "a_total b_total")]
    [InlineData("absent(queue_runner_heartbeat_timestamp_seconds)", "queue_runner_heartbeat_timestamp_seconds")]
    [InlineData("vector(120)", "")]
    [InlineData("count by (state) (x{state=\"a b {c}\", exception='and(or)'}) or 1e3", "x")]
    public void Extracts_the_selected_metric_names_and_nothing_else(string expression, string expected)
    {
        var names = PromQlMetricNames.Extract(expression);

        Assert.Equal(expected.Split(' ', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal), names.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("queue_job_wait_seconds_bucket", "queue_job_wait_seconds")]
    [InlineData("queue_job_jobs", "queue_job_jobs")]
    [InlineData("queue_job_wait_seconds", null)]
    [InlineData("queue_job_jobs_bucket", null)]
    [InlineData("queue_job_job", null)]
    public void Histogram_series_resolve_to_their_documented_histogram(string series, string? documented)
    {
        Assert.Equal(documented, DocumentedMetrics.Resolve(series));
    }
}
