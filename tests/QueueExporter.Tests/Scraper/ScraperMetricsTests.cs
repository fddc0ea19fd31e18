using System.Text;
using Prometheus;
using QueueExporter.Scraper.Database;
using Xunit;

namespace QueueExporter.Tests.Scraper;

public sealed class ScraperMetricsTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 5, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Every_state_of_a_known_channel_is_exported_with_zero_when_empty()
    {
        var registry = Metrics.NewCustomRegistry();
        var metrics = new ScraperMetrics(registry, "1.2.3");

        metrics.PublishJobs("db1", ["pending", "enqueued", "failed"], [new JobStateCount("root.mail", "pending", 4, Now.AddSeconds(-30))], Now);

        var text = await ExportAsync(registry);
        Assert.Contains("queue_job_jobs{database=\"db1\",channel=\"root.mail\",state=\"pending\"} 4", text, StringComparison.Ordinal);
        Assert.Contains("queue_job_jobs{database=\"db1\",channel=\"root.mail\",state=\"failed\"} 0", text, StringComparison.Ordinal);
        Assert.Contains("queue_job_jobs{database=\"db1\",channel=\"root\",state=\"enqueued\"} 0", text, StringComparison.Ordinal);
        Assert.Contains("queue_job_oldest_age_seconds{database=\"db1\",channel=\"root.mail\",state=\"pending\"} 30", text, StringComparison.Ordinal);
        Assert.DoesNotContain("queue_job_oldest_age_seconds{database=\"db1\",channel=\"root.mail\",state=\"failed\"}", text, StringComparison.Ordinal);
        Assert.Contains("queue_job_exporter_build_info{version=\"1.2.3\"} 1", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_database_marked_down_loses_its_gauges_and_counts_an_error()
    {
        var registry = Metrics.NewCustomRegistry();
        var metrics = new ScraperMetrics(registry, "1.2.3");
        metrics.PublishJobs("db1", ["pending"], [new JobStateCount("root", "pending", 4, null)], Now);
        metrics.PublishRunnerSessions("db1", 1);
        metrics.MarkUp("db1", TimeSpan.FromMilliseconds(5));

        metrics.MarkDown("db1", TimeSpan.FromMilliseconds(7));

        var text = await ExportAsync(registry);
        Assert.Contains("queue_job_scrape_up{database=\"db1\"} 0", text, StringComparison.Ordinal);
        Assert.Contains("queue_job_scrape_errors_total{database=\"db1\"} 1", text, StringComparison.Ordinal);
        Assert.DoesNotContain("queue_job_jobs{", text, StringComparison.Ordinal);
        Assert.DoesNotContain("queue_job_runner_sessions{", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Completions_feed_counters_and_histograms()
    {
        var registry = Metrics.NewCustomRegistry();
        var metrics = new ScraperMetrics(registry, "1.2.3");

        metrics.RecordCompletions("db1", [
            new JobCompletion("root", "done", 2, 1, null),
            new JobCompletion("root", "failed", null, 3, "odoo.exceptions.UserError"),
        ]);

        var text = await ExportAsync(registry);
        Assert.Contains("queue_job_completed_total{database=\"db1\",channel=\"root\",state=\"done\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("queue_job_completed_total{database=\"db1\",channel=\"root\",state=\"failed\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("queue_job_duration_seconds_count{database=\"db1\",channel=\"root\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("queue_job_wait_seconds_count{database=\"db1\",channel=\"root\"} 2", text, StringComparison.Ordinal);
        Assert.Contains("queue_job_failures_total{database=\"db1\",channel=\"root\",exception=\"odoo.exceptions.UserError\"} 1", text, StringComparison.Ordinal);
    }

    private static async Task<string> ExportAsync(CollectorRegistry registry)
    {
        using var stream = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
