using System.Net;
using Prometheus;
using QueueExporter.Commands;
using QueueExporter.QueueJob.Connection;
using QueueExporter.Scraper;
using QueueExporter.TestSupport;
using QueueExporter.Worker;
using static QueueExporter.IntegrationTests.Runner.RunnerDispatchTests;

namespace QueueExporter.IntegrationTests.Web;

/// <summary>/healthz and / on the worker and the scraper, against real PostgreSQL.</summary>
public class HealthAndLandingTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task The_worker_is_ready_while_its_server_answers_and_says_why_not_when_it_does_not()
    {
        await using var db = await CreateDatabaseAsync();
        await using var reachable = await WorkerHost.StartAsync(new WorkerOptions { Endpoint = db.Endpoint, Listen = "127.0.0.1:0" }, Metrics.NewCustomRegistry());
        await using var unreachable = await WorkerHost.StartAsync(
            new WorkerOptions { Endpoint = DatabaseEndpoint.Parse("postgres://nobody@127.0.0.1:1/none"), Listen = "127.0.0.1:0" },
            Metrics.NewCustomRegistry());
        using var http = new HttpClient();

        using var ready = await http.GetAsync(new Uri(reachable.BaseAddress, "healthz"));
        using var notReady = await http.GetAsync(new Uri(unreachable.BaseAddress, "healthz"));

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal($"ok\nworker: accepting runjob calls\ndatabase server {db.Endpoint.Host}:{db.Endpoint.Port}: reachable\n", await ready.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
        var body = await notReady.Content.ReadAsStringAsync();
        Assert.StartsWith("unhealthy\n", body, StringComparison.Ordinal);
        Assert.Contains("database server 127.0.0.1:1: unreachable: ", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_worker_has_a_landing_page_that_links_its_endpoints()
    {
        await using var db = await CreateDatabaseAsync();
        await using var worker = await WorkerHost.StartAsync(new WorkerOptions { Endpoint = db.Endpoint, Listen = "127.0.0.1:0" }, Metrics.NewCustomRegistry());
        using var http = new HttpClient();

        using var page = await http.GetAsync(worker.BaseAddress);

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("<a href=\"/metrics\">/metrics</a>", html, StringComparison.Ordinal);
        Assert.Contains("<a href=\"/healthz\">/healthz</a>", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_scraper_is_ready_once_its_database_is_read_and_not_while_one_is_down()
    {
        await using var db = await CreateDatabaseAsync();
        var server = await PostgresServer.SharedAsync();
        var options = new ScraperOptions { Listen = "127.0.0.1:0", RefreshInterval = TimeSpan.FromMilliseconds(200) };
        options.Databases.Add(db.Name);
        options.Databases.Add("qe_no_such_database");
        await using var scraper = ScrapeCommand.Build(options, server.AdminEndpoint, Metrics.NewCustomRegistry());
        await scraper.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(scraper.Urls.First()) };

        var body = string.Empty;
        await Eventually.UntilAsync(
            async () => (body = await http.GetStringAsync(new Uri("/", UriKind.Relative))).Contains("qe_no_such_database</td><td class=\"down\">", StringComparison.Ordinal)
                && body.Contains($"{db.Name}</td><td class=\"up\">up</td>", StringComparison.Ordinal),
            Patience,
            "the status page shows one database up and one down");
        using var health = await http.GetAsync(new Uri("/healthz", UriKind.Relative));
        var text = await health.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.StartsWith("unhealthy\n", text, StringComparison.Ordinal);
        Assert.Contains($"db {db.Name}: up, refreshed ", text, StringComparison.Ordinal);
        Assert.Contains("db qe_no_such_database: down: ", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_scraper_is_not_ready_before_any_database_is_read_and_ready_when_all_are()
    {
        await using var db = await CreateDatabaseAsync();
        var options = new ScraperOptions { Listen = "127.0.0.1:0", RefreshInterval = TimeSpan.FromMilliseconds(200) };
        options.Databases.Add(db.Name);
        await using var scraper = ScrapeCommand.Build(options, db.Endpoint, Metrics.NewCustomRegistry());

        // Before the host runs, no refresh can have happened: the check itself must say not ready.
        var status = scraper.Services.GetService(typeof(Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckService)) as Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckService;
        var before = await status!.CheckHealthAsync();
        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Unhealthy, before.Status);
        Assert.Contains("databases: none refreshed yet", before.Entries["scraper"].Description, StringComparison.Ordinal);

        await scraper.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(scraper.Urls.First()) };
        await Eventually.UntilAsync(
            async () => (await http.GetAsync(new Uri("/healthz", UriKind.Relative))).StatusCode == HttpStatusCode.OK,
            Patience,
            "/healthz turns ready after the first refresh");
    }
}
