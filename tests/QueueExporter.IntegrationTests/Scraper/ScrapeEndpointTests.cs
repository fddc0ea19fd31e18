using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Prometheus;
using QueueExporter.Commands;
using QueueExporter.QueueJob.Schema;
using QueueExporter.Scraper;
using QueueExporter.TestSupport;

namespace QueueExporter.IntegrationTests.Scraper;

/// <summary>The whole `scrape` command in process: real PostgreSQL, a real log file, real HTTP, real promtool.</summary>
public sealed class ScrapeEndpointTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly string _directory = Directory.CreateTempSubdirectory("queue-exporter-scrape-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Metrics_from_database_and_log_pass_promtool_check()
    {
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateDatabaseAsync(QueueJobShape.Odoo14To17);
        var writer = await QueueJobTableWriter.OpenAsync(database);
        var logFile = Path.Combine(_directory, "odoo.log");
        await File.WriteAllTextAsync(logFile, string.Empty);
        var options = NewOptions(logFile);
        await using var app = ScrapeCommand.Build(options, database.Endpoint, Metrics.NewCustomRegistry());
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        // Jobs that start and fail before the follower listens are never seen (see docs/scraper.md).
        await Eventually.UntilAsync(() => IsListeningAsync(database), Timeout, "the completion follower listens");
        var jobs = await writer.EnqueueAsync(2);
        await writer.StartedAsync(jobs[0], DateTimeOffset.UtcNow);
        await writer.FailedAsync(jobs[0], "odoo.exceptions \"quoted\"\\UserError");
        await File.AppendAllTextAsync(
            logFile,
            "2025-12-09 07:22:43,908 2229881 INFO ? odoo.addons.queue_job.jobrunner.runner: asking Odoo to run job 76c3 on db mydb\n");

        string text = string.Empty;
        await Eventually.UntilAsync(
            async () =>
            {
                text = await http.GetStringAsync("/metrics");
                var metrics = ExportedMetrics.Parse(text);
                // The state gauges come from the periodic refresh, the failures from notifications: wait for both.
                return metrics.Value("queue_job_scrape_up", ("database", database.Name)) == 1
                    && metrics.Value("queue_job_jobs", ("database", database.Name), ("channel", "root"), ("state", JobStates.Pending)) == 1
                    && metrics.Value("queue_job_failures_total", ("database", database.Name), ("channel", "root"), ("exception", "odoo.exceptions \\\"quoted\\\"\\\\UserError")) == 1
                    && metrics.Value("queue_job_log_events_total", ("file", logFile), ("event", "job_dispatched")) == 1;
            },
            Timeout,
            "the database, the follower and the log file all reached /metrics");

        var (exitCode, output) = await PromtoolCheckAsync(text);
        Assert.True(exitCode == 0, $"promtool check metrics exited {exitCode}: {output}");
        Assert.Equal(1, ExportedMetrics.Parse(text).Value("queue_job_jobs", ("database", database.Name), ("channel", "root"), ("state", JobStates.Pending)));
        await app.StopAsync();
    }

    [Fact]
    public async Task Basic_auth_when_configured_refuses_a_scrape_without_the_password()
    {
        var logFile = Path.Combine(_directory, "odoo.log");
        var options = NewOptions(logFile);
        options.ReadDatabases = false;
        options.AuthUser = "prometheus";
        options.AuthPassword = "s3cret";
        var registry = Metrics.NewCustomRegistry();
        Metrics.WithCustomRegistry(registry).CreateGauge("test_sentinel", "Shows that an authorised scrape gets the registry.").Set(1);
        await using var app = ScrapeCommand.Build(options, null, registry);
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        using var anonymous = await http.GetAsync(new Uri("/metrics", UriKind.Relative));
        using var wrong = await GetWithAsync(http, "prometheus:guess");
        using var right = await GetWithAsync(http, "prometheus:s3cret");

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.True(anonymous.Headers.WwwAuthenticate.Count > 0);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        Assert.Contains("\ntest_sentinel 1", await right.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await app.StopAsync();
    }

    private static async Task<bool> IsListeningAsync(TestDatabase database)
    {
        await using var connection = await database.OpenConnectionAsync();
        await using var command = new Npgsql.NpgsqlCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = @name AND query ILIKE 'LISTEN%'",
            connection);
        command.Parameters.AddWithValue("name", QueueExporter.Scraper.Database.ScrapeConnections.ListenerApplicationName);
        return (long)(await command.ExecuteScalarAsync())! > 0;
    }

    private static async Task<HttpResponseMessage> GetWithAsync(HttpClient http, string credentials)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/metrics", UriKind.Relative));
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
        return await http.SendAsync(request);
    }

    private static ScraperOptions NewOptions(string logFile)
    {
        var options = new ScraperOptions
        {
            Listen = "127.0.0.1:0",
            RefreshInterval = TimeSpan.FromMilliseconds(200),
            ReconciliationInterval = TimeSpan.FromSeconds(1),
            TerminalInterval = TimeSpan.FromSeconds(1),
            LogPollInterval = TimeSpan.FromMilliseconds(100),
        };
        options.LogFiles.Add(logFile);
        return options;
    }

    private static async Task<(int ExitCode, string Output)> PromtoolCheckAsync(string metricsText)
    {
        var start = new ProcessStartInfo("promtool", "check metrics")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        await process.StandardInput.WriteAsync(metricsText);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancellation = new CancellationTokenSource(Timeout);
        await process.WaitForExitAsync(cancellation.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
