using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Prometheus;
using QueueExporter.QueueJob.Connection;
using QueueExporter.Scraper;
using QueueExporter.Scraper.Database;
using Xunit;

namespace QueueExporter.Tests.Scraper;

/// <summary>The refresher publishes the period its loop chose (no database needed: nothing connects until a refresh).</summary>
public sealed class RefreshPeriodTests
{
    [Fact]
    public async Task A_stretched_period_is_exported_and_returns_to_the_interval()
    {
        var registry = Metrics.NewCustomRegistry();
        var options = new ScraperOptions { RefreshInterval = TimeSpan.FromSeconds(15) };
        await using var refresher = new DatabaseStateRefresher(
            "db1",
            DatabaseEndpoint.Parse("postgres://monitor@127.0.0.1:5432/db1"),
            options,
            new ScraperMetrics(registry),
            TimeProvider.System,
            NullLogger<DatabaseStateRefresher>.Instance);

        refresher.OnPeriod(RefreshPacing.PeriodAfter(options.RefreshInterval, TimeSpan.FromSeconds(10)));
        var slow = await ExportAsync(registry);
        refresher.OnPeriod(RefreshPacing.PeriodAfter(options.RefreshInterval, TimeSpan.FromSeconds(1)));
        var fast = await ExportAsync(registry);

        Assert.Contains("queue_job_scrape_period_seconds{database=\"db1\"} 40", slow, StringComparison.Ordinal);
        Assert.Contains("queue_job_scrape_period_seconds{database=\"db1\"} 15", fast, StringComparison.Ordinal);
    }

    private static async Task<string> ExportAsync(CollectorRegistry registry)
    {
        using var stream = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
