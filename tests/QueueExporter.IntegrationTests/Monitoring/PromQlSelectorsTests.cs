namespace QueueExporter.IntegrationTests.Monitoring;

/// <summary>The selector extraction the end-to-end test uses to check every selector matches live series.</summary>
public sealed class PromQlSelectorsTests
{
    [Theory]
    [InlineData("up{job=~\"queue-exporter-.*\"} == 0", "up{job=~\"queue-exporter-.*\"}")]
    [InlineData("sum by (state) (queue_job_jobs {state=\"a}b\", channel=~\".*\"}) / queue_job_jobs",
        "queue_job_jobs|queue_job_jobs{state=\"a}b\", channel=~\".*\"}")]
    [InlineData("time() - max by (job) (queue_runner_heartbeat_timestamp_seconds) > on() group_left() queue_job:alert_threshold:x",
        "queue_job:alert_threshold:x|queue_runner_heartbeat_timestamp_seconds")]
    [InlineData("rate(x_bucket{le=\"+Inf\", name=\"x_bucket\"}[5m])", "x_bucket{le=\"+Inf\", name=\"x_bucket\"}")]
    public void Extracts_each_selector_with_its_matchers(string expression, string expected)
    {
        Assert.Equal(expected.Split('|').Order(StringComparer.Ordinal), PromQlSelectors.Extract(expression).Order(StringComparer.Ordinal));
    }
}
