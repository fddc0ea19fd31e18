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
        var metrics = new ScraperMetrics(registry);

        metrics.PublishActive("db1", ["pending", "enqueued", "started"], [new JobStateCount("root.mail", "pending", 4, Now.AddSeconds(-30))], Now);

        var text = await ExportAsync(registry);
        Assert.Contains("queue_job_jobs{database=\"db1\",channel=\"root.mail\",state=\"pending\"} 4", text, StringComparison.Ordinal);
        Assert.Contains("queue_job_jobs{database=\"db1\",channel=\"root.mail\",state=\"started\"} 0", text, StringComparison.Ordinal);
        Assert.Contains("queue_job_jobs{database=\"db1\",channel=\"root\",state=\"enqueued\"} 0", text, StringComparison.Ordinal);
        Assert.Contains("queue_job_oldest_age_seconds{database=\"db1\",channel=\"root.mail\",state=\"pending\"} 30", text, StringComparison.Ordinal);
        Assert.Contains("queue_job_oldest_age_seconds{database=\"db1\",channel=\"root.mail\",state=\"started\"} 0", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_database_marked_down_keeps_its_last_values_and_its_last_success_time()
    {
        var registry = Metrics.NewCustomRegistry();
        var metrics = new ScraperMetrics(registry);
        metrics.PublishActive("db1", ["pending"], [new JobStateCount("root", "pending", 4, null)], Now);
        metrics.PublishRunnerSessions("db1", 1);
        metrics.MarkUp("db1", TimeSpan.FromMilliseconds(5), Now);

        metrics.MarkDown("db1", TimeSpan.FromMilliseconds(7));

        var text = await ExportAsync(registry);
        Assert.Contains("queue_job_scrape_up{database=\"db1\"} 0", text, StringComparison.Ordinal);
        Assert.Contains("queue_job_scrape_errors_total{database=\"db1\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("queue_job_jobs{database=\"db1\",channel=\"root\",state=\"pending\"} 4", text, StringComparison.Ordinal);
        Assert.Contains("queue_job_runner_sessions{database=\"db1\"} 1", text, StringComparison.Ordinal);
        Assert.Contains($"queue_job_scrape_last_success_timestamp_seconds{{database=\"db1\"}} {Now.ToUnixTimeSeconds()}", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_terminal_count_moves_with_the_completions_seen_after_it_began()
    {
        var registry = Metrics.NewCustomRegistry();
        var metrics = new ScraperMetrics(registry);
        metrics.RecordCompletions("db1", [new JobCompletion("root", "failed", null, null, "E")], Now);
        var baseline = metrics.BeginTerminalCount("db1", "failed");
        metrics.RecordCompletions("db1", [new JobCompletion("root", "failed", null, null, "E")], Now);
        metrics.PublishTerminal("db1", baseline, [new JobStateCount("root", "failed", 10, null)], Now);
        metrics.RecordCompletions("db1", [new JobCompletion("root.mail", "failed", null, null, "E")], Now);

        var text = await ExportAsync(registry);
        // 10 counted, plus the two completions after the baseline; the one before is in the count.
        Assert.Contains("queue_job_jobs{database=\"db1\",channel=\"root\",state=\"failed\"} 11", text, StringComparison.Ordinal);
        Assert.Contains("queue_job_jobs{database=\"db1\",channel=\"root.mail\",state=\"failed\"} 1", text, StringComparison.Ordinal);
        Assert.DoesNotContain("state=\"done\"", text, StringComparison.Ordinal);

        metrics.RecordExits("db1", [new JobStateExit("root", "failed"), new JobStateExit("root.mail", "failed"), new JobStateExit("root.mail", "failed")], Now);
        text = await ExportAsync(registry);
        Assert.Contains("queue_job_jobs{database=\"db1\",channel=\"root\",state=\"failed\"} 10", text, StringComparison.Ordinal);
        // Never below zero, even when the follower saw more exits than the count had rows.
        Assert.Contains("queue_job_jobs{database=\"db1\",channel=\"root.mail\",state=\"failed\"} 0", text, StringComparison.Ordinal);

        metrics.ForgetTerminal("db1", "failed", Now);
        Assert.DoesNotContain("queue_job_jobs{database=\"db1\",channel=\"root\",state=\"failed\"}", await ExportAsync(registry), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Channels_beyond_the_bound_are_summed_as_other_and_idle_channels_are_dropped()
    {
        var registry = Metrics.NewCustomRegistry();
        var metrics = new ScraperMetrics(registry, maxChannels: 1, channelIdleTime: TimeSpan.FromMinutes(10));
        metrics.PublishActive(
            "db1",
            ["pending"],
            [
                new JobStateCount("root.a", "pending", 1, null),
                new JobStateCount("root.b", "pending", 2, Now.AddSeconds(-60)),
                new JobStateCount("root.c", "pending", 3, Now.AddSeconds(-90)),
            ],
            Now);
        metrics.RecordCompletions("db1", [new JobCompletion("root.c", "done", 1, 1, null)], Now);

        var text = await ExportAsync(registry);
        Assert.Contains("queue_job_jobs{database=\"db1\",channel=\"root.a\",state=\"pending\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("queue_job_jobs{database=\"db1\",channel=\"other\",state=\"pending\"} 5", text, StringComparison.Ordinal);
        Assert.Contains("queue_job_oldest_age_seconds{database=\"db1\",channel=\"other\",state=\"pending\"} 90", text, StringComparison.Ordinal);
        Assert.Contains("queue_job_completed_total{database=\"db1\",channel=\"other\",state=\"done\"} 1", text, StringComparison.Ordinal);

        // root.a is gone: after the idle time its slot goes to the next channel seen.
        metrics.PublishActive("db1", ["pending"], [new JobStateCount("root.d", "pending", 7, null)], Now.AddMinutes(11));

        text = await ExportAsync(registry);
        Assert.DoesNotContain("channel=\"root.a\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("channel=\"other\"", text, StringComparison.Ordinal);
        Assert.Contains("queue_job_jobs{database=\"db1\",channel=\"root.d\",state=\"pending\"} 7", text, StringComparison.Ordinal);
        Assert.Contains("queue_job_jobs{database=\"db1\",channel=\"root\",state=\"pending\"} 0", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Completions_feed_counters_and_histograms()
    {
        var registry = Metrics.NewCustomRegistry();
        var metrics = new ScraperMetrics(registry);

        metrics.RecordCompletions("db1", [
            new JobCompletion("root", "done", 2, 1, null, "res.partner.write", LatencySeconds: 45),
            new JobCompletion("root", "failed", null, 3, "odoo.exceptions.UserError", "res.partner.write"),
        ], Now);
        metrics.RecordRetries("db1", new Dictionary<string, int> { ["root"] = 2 }, Now);

        var text = await ExportAsync(registry);
        Assert.Contains("queue_job_retries_total{database=\"db1\",channel=\"root\"} 2", text, StringComparison.Ordinal);
        Assert.Contains("queue_job_function_latency_seconds_sum{database=\"db1\",function=\"res.partner.write\"} 45", text, StringComparison.Ordinal);
        Assert.Contains("queue_job_completed_total{database=\"db1\",channel=\"root\",state=\"done\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("queue_job_completed_total{database=\"db1\",channel=\"root\",state=\"failed\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("queue_job_duration_seconds_count{database=\"db1\",channel=\"root\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("queue_job_wait_seconds_count{database=\"db1\",channel=\"root\"} 2", text, StringComparison.Ordinal);
        Assert.Contains("queue_job_failures_total{database=\"db1\",channel=\"root\",exception=\"odoo.exceptions.UserError\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("queue_job_function_completed_total{database=\"db1\",function=\"res.partner.write\",state=\"failed\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("queue_job_function_duration_seconds_count{database=\"db1\",function=\"res.partner.write\"} 1", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_estimate_puts_a_terminal_state_in_the_job_gauge_until_an_exact_count_replaces_it()
    {
        var registry = Metrics.NewCustomRegistry();
        var metrics = new ScraperMetrics(registry);
        metrics.PublishActive("db1", ["pending"], [], Now);

        metrics.PublishTerminal("db1", metrics.BeginTerminalCount("db1", "done"), [new JobStateCount("root", "done", 9_000, null)], Now, exact: false);
        metrics.RecordCompletions("db1", [new JobCompletion("root", "done", 1, 1, null)], Now);

        var text = await ExportAsync(registry);
        Assert.Contains("queue_job_jobs{database=\"db1\",channel=\"root\",state=\"done\"} 9001", text, StringComparison.Ordinal);
        Assert.Contains("queue_job_jobs_exact{database=\"db1\",state=\"done\"} 0", text, StringComparison.Ordinal);
        Assert.False(metrics.IsExact("db1", "done"));

        metrics.PublishTerminal("db1", metrics.BeginTerminalCount("db1", "done"), [new JobStateCount("root", "done", 8_500, null)], Now);

        text = await ExportAsync(registry);
        Assert.Contains("queue_job_jobs{database=\"db1\",channel=\"root\",state=\"done\"} 8500", text, StringComparison.Ordinal);
        Assert.Contains("queue_job_jobs_exact{database=\"db1\",state=\"done\"} 1", text, StringComparison.Ordinal);
        Assert.True(metrics.IsExact("db1", "done"));
    }

    [Fact]
    public async Task A_channel_seen_only_in_completions_is_in_the_job_gauge_with_every_exported_state()
    {
        var registry = Metrics.NewCustomRegistry();
        var metrics = new ScraperMetrics(registry);
        metrics.PublishActive("db1", ["pending", "started"], [new JobStateCount("root", "pending", 3, null)], Now);
        metrics.PublishTerminal("db1", metrics.BeginTerminalCount("db1", "failed"), [new JobStateCount("root", "failed", 2, null)], Now);

        // root.quick's jobs are created and finished between two refreshes: no refresh ever saw them.
        metrics.RecordCompletions("db1", [new JobCompletion("root.quick", "done", 1, 1, null), new JobCompletion("root.quick", "failed", 1, 1, "E")], Now);

        var text = await ExportAsync(registry);
        Assert.Contains("queue_job_completed_total{database=\"db1\",channel=\"root.quick\",state=\"done\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("queue_job_jobs{database=\"db1\",channel=\"root.quick\",state=\"pending\"} 0", text, StringComparison.Ordinal);
        Assert.Contains("queue_job_jobs{database=\"db1\",channel=\"root.quick\",state=\"started\"} 0", text, StringComparison.Ordinal);
        Assert.Contains("queue_job_jobs{database=\"db1\",channel=\"root.quick\",state=\"failed\"} 1", text, StringComparison.Ordinal);
    }

    private static async Task<string> ExportAsync(CollectorRegistry registry)
    {
        using var stream = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
