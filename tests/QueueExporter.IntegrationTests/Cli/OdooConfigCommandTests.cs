using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using QueueExporter.IntegrationTests.Runner;
using QueueExporter.QueueJob.Enqueue;
using QueueExporter.TestSupport;

namespace QueueExporter.IntegrationTests.Cli;

/// <summary>
/// The real runner and scraper processes configured by nothing but an Odoo configuration file (and a
/// listen address), against real PostgreSQL: what an Odoo administrator does with odoo.conf.
/// </summary>
public sealed partial class OdooConfigCommandTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly string _directory = Directory.CreateTempSubdirectory("odoo-config-").FullName;

    [Fact]
    public async Task A_runner_started_with_only_odoo_config_serves_odoos_database_with_its_channels_worker_and_auth()
    {
        await using var db = await RunnerDispatchTests.CreateDatabaseAsync();
        await using var worker = await FakeOdooWorker.StartAsync(_ => db.ConnectionString);
        var config = WriteConfig(db, $"""
            [queue_job]
            channels = root:3
            scheme = http
            host = {worker.Url.Host}
            port = {worker.Url.Port}
            http_auth_user = jobrunner
            http_auth_password = s3cr3t-runjob
            """);
        var port = RunnerCommandTests.UnusedPort();
        await using var runner = RunningCommand.Start(["runner", "--odoo-config", config, "--listen", $"127.0.0.1:{port}"]);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        await Eventually.UntilAsync(async () => !runner.HasExited && await RunnerCommandTests.TryGetStatusAsync(http, "/healthz") == HttpStatusCode.OK, Patience, $"/healthz answers 200:\n{runner.Output}");

        var uuid = await RunnerDispatchTests.EnqueueAsync(db, new NewJob { ModelName = "m", MethodName = "x" });
        var call = await worker.NextCallAsync(Patience);
        var metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Equal(0, await runner.StopAsync());

        Assert.Equal(uuid, call.Uuid);
        Assert.Equal(db.Name, call.Database);
        Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("jobrunner:s3cr3t-runjob")), call.Authorization);
        Assert.Contains("queue_runner_channel_capacity{channel=\"root\"} 3", metrics, StringComparison.Ordinal);
        Assert.Contains($"queue_runner_leader{{server=\"{db.ServerLabel}\",database=\"{db.Name}\"}} 1", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t", runner.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_scraper_started_with_only_odoo_rc_reads_the_database_the_file_names()
    {
        var server = await PostgresServer.SharedAsync();
        await using var db = await server.CreateDatabaseAsync();
        await using var other = await server.CreateDatabaseAsync();
        var config = WriteConfig(db, "");
        await using var scraper = RunningCommand.Start(["scrape", "--listen", "127.0.0.1:0"], new Dictionary<string, string> { ["ODOO_RC"] = config });
        var address = (await scraper.WaitForLineAsync(ScrapeListening(), Patience, "the scraper listens")).Groups[1].Value;
        using var http = new HttpClient { BaseAddress = new Uri(address) };

        var metrics = "";
        await Eventually.UntilAsync(
            async () => (metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative))).Contains($"queue_job_scrape_up{{database=\"{db.Name}\"}} 1", StringComparison.Ordinal),
            Patience,
            $"the scraper reads {db.Name}");

        // db_name names one database: the other one on the same server is not read.
        Assert.DoesNotContain($"database=\"{other.Name}\"", metrics, StringComparison.Ordinal);
        Assert.Equal(0, await scraper.StopAsync());
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>An odoo.conf as Odoo writes it: [options] with the database, then the given sections.</summary>
    private string WriteConfig(TestDatabase db, string moreSections)
    {
        var path = Path.Combine(_directory, "odoo.conf");
        File.WriteAllText(path, $"""
            [options]
            admin_passwd = admin
            db_host = {db.Endpoint.Host}
            db_port = {db.Endpoint.Port.ToString(CultureInfo.InvariantCulture)}
            db_user = {db.Endpoint.Username}
            db_password = False
            db_name = {db.Name}
            dbfilter =
            http_port = 1

            {moreSections}
            """);
        return path;
    }

    [GeneratedRegex(@"scrape listening on (http://127\.0\.0\.1:\d+)/metrics")]
    private static partial Regex ScrapeListening();
}
