using Microsoft.Extensions.Logging.Abstractions;
using Prometheus;
using QueueExporter.QueueJob.Connection;
using QueueExporter.Scraper;
using QueueExporter.Scraper.Database;
using QueueExporter.TestSupport;

namespace QueueExporter.IntegrationTests.Scraper;

public sealed class DatabaseScraperServiceTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Discovery_finds_every_queue_job_database_including_one_created_later()
    {
        await using var server = await PostgresServer.StartDedicatedAsync();
        await using var first = await server.CreateDatabaseAsync();
        await using var withoutQueueJob = await server.CreateEmptyDatabaseAsync();
        var admin = server.AdminEndpoint;
        var serverOnly = DatabaseEndpoint.Parse($"Host={admin.Host};Port={admin.Port};Username={admin.Username}");
        var registry = Metrics.NewCustomRegistry();
        var options = new ScraperOptions
        {
            RefreshInterval = TimeSpan.FromMilliseconds(200),
            DiscoveryInterval = TimeSpan.FromMilliseconds(200),
        };
        using var service = new DatabaseScraperService(serverOnly, options, new ScraperMetrics(registry), TimeProvider.System, NullLoggerFactory.Instance);
        await service.StartAsync(CancellationToken.None);

        await Eventually.UntilAsync(async () => await UpAsync(registry, first.Name) == 1, Timeout, "the existing database is found");
        await using var later = await server.CreateDatabaseAsync();
        await Eventually.UntilAsync(async () => await UpAsync(registry, later.Name) == 1, Timeout, "the database created later is found");

        Assert.Null(await UpAsync(registry, withoutQueueJob.Name));
        await service.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Done_totals_are_published_at_start_not_one_terminal_interval_later()
    {
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateDatabaseAsync();
        var writer = await QueueJobTableWriter.OpenAsync(database);
        var jobs = await writer.EnqueueAsync(3);
        await writer.DoneAsync(jobs[0], DateTimeOffset.UtcNow, 1);
        await writer.DoneAsync(jobs[1], DateTimeOffset.UtcNow, 1);
        var registry = Metrics.NewCustomRegistry();
        var options = new ScraperOptions { TerminalInterval = TimeSpan.FromHours(1), ChannelIdleTime = TimeSpan.FromHours(2) };
        options.Databases.Add(database.Name);
        using var service = new DatabaseScraperService(database.Endpoint, options, new ScraperMetrics(registry), TimeProvider.System, NullLoggerFactory.Instance);
        await service.StartAsync(CancellationToken.None);

        await Eventually.UntilAsync(
            async () => (await ExportedMetrics.ReadAsync(registry)).Value("queue_job_jobs", ("database", database.Name), ("channel", "root"), ("state", "done")) == 2,
            Timeout,
            "the done total is published by the first terminal pass, at start");
        await service.StopAsync(CancellationToken.None);
    }

    private static async Task<double?> UpAsync(CollectorRegistry registry, string database) =>
        (await ExportedMetrics.ReadAsync(registry)).Value("queue_job_scrape_up", ("database", database));
}
