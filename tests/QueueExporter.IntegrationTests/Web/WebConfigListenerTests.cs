using System.Net;
using Microsoft.AspNetCore.Builder;
using Prometheus;
using QueueExporter.Commands;
using QueueExporter.IntegrationTests.Cli;
using QueueExporter.QueueJob.Web;
using QueueExporter.Runner;
using QueueExporter.Scraper;
using QueueExporter.TestSupport;
using QueueExporter.Worker;
using static QueueExporter.IntegrationTests.Runner.RunnerDispatchTests;

namespace QueueExporter.IntegrationTests.Web;

/// <summary>--web.config.file on real listeners: real TLS handshakes, bcrypt users, client certificates, reloads.</summary>
public class WebConfigListenerTests
{
    private const string Password = "correct horse";

    // Cost 4: bcrypt's lowest, the same checks as cost 10 without the wait.
    private static readonly string PasswordHash = BCrypt.Net.BCrypt.HashPassword(Password, 4);

    [Fact]
    public async Task Over_tls_a_missing_or_wrong_password_is_refused_and_the_right_one_is_served()
    {
        using var certificates = TestCertificates.Create();
        certificates.WriteConfig($"tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\nbasic_auth_users:\n  prometheus: {PasswordHash}\n");
        await using var scraper = await StartScraperAsync(certificates.WebConfigFile);
        var address = new Uri(scraper.Urls.First());
        Assert.Equal("https", address.Scheme);
        using var https = certificates.HttpsClient(address);

        using var anonymous = await https.GetAsync(new Uri("/metrics", UriKind.Relative));
        using var wrong = await GetAsync(https, "/metrics", "prometheus", "wrong horse");
        using var unknown = await GetAsync(https, "/metrics", "grafana", Password);
        using var right = await GetAsync(https, "/metrics", "prometheus", Password);
        using var health = await GetAsync(https, "/healthz", "prometheus", Password);
        using var anonymousHealth = await https.GetAsync(new Uri("/healthz", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("Basic", anonymous.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        Assert.Contains("# TYPE queue_job_log_lines_total ", await right.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymousHealth.StatusCode);

        // Plain HTTP to the TLS port gets no answer, so nothing is ever served in clear text.
        using var plain = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{address.Port}") };
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => plain.GetAsync(new Uri("/metrics", UriKind.Relative)));
    }

    [Fact]
    public async Task A_required_client_certificate_must_chain_to_the_client_ca()
    {
        using var certificates = TestCertificates.Create();
        certificates.WriteConfig("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: clients-ca.crt\n");
        await using var scraper = await StartScraperAsync(certificates.WebConfigFile);
        var address = new Uri(scraper.Urls.First());

        using var none = certificates.HttpsClient(address);
        using var stranger = certificates.HttpsClient(address, certificates.Stranger);
        using var client = certificates.HttpsClient(address, certificates.Client);

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => none.GetAsync(new Uri("/metrics", UriKind.Relative)));
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => stranger.GetAsync(new Uri("/metrics", UriKind.Relative)));
        using var served = await client.GetAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }

    [Fact]
    public async Task A_changed_user_applies_to_the_next_request_and_a_broken_file_fails_closed_until_fixed()
    {
        using var certificates = TestCertificates.Create();
        certificates.WriteConfig($"basic_auth_users:\n  prometheus: {PasswordHash}\n");
        await using var scraper = await StartScraperAsync(certificates.WebConfigFile);
        using var http = new HttpClient { BaseAddress = new Uri(scraper.Urls.First()) };
        using (var before = await GetAsync(http, "/metrics", "prometheus", Password))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        certificates.WriteConfig($"basic_auth_users:\n  grafana: {BCrypt.Net.BCrypt.HashPassword("new horse", 4)}\n");
        using (var oldUser = await GetAsync(http, "/metrics", "prometheus", Password))
        using (var newUser = await GetAsync(http, "/metrics", "grafana", "new horse"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, oldUser.StatusCode);
            Assert.Equal(HttpStatusCode.OK, newUser.StatusCode);
        }

        certificates.WriteConfig("basic_auth_users:\n  grafana: not-a-hash\n");
        using (var broken = await GetAsync(http, "/metrics", "grafana", "new horse"))
        using (var brokenAnonymous = await http.GetAsync(new Uri("/metrics", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.InternalServerError, broken.StatusCode);
            Assert.Equal(HttpStatusCode.InternalServerError, brokenAnonymous.StatusCode);
        }

        certificates.WriteConfig($"basic_auth_users:\n  grafana: {BCrypt.Net.BCrypt.HashPassword("new horse", 4)}\n");
        using var fixedAgain = await GetAsync(http, "/metrics", "grafana", "new horse");
        Assert.Equal(HttpStatusCode.OK, fixedAgain.StatusCode);
    }

    [Fact]
    public async Task A_renewed_certificate_is_served_to_the_next_connection_without_a_restart()
    {
        using var certificates = TestCertificates.Create();
        certificates.WriteConfig("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n");
        await using var scraper = await StartScraperAsync(certificates.WebConfigFile);
        var address = new Uri(scraper.Urls.First());
        var first = certificates.Server.SerialNumber;
        var seen = new List<System.Security.Cryptography.X509Certificates.X509Certificate2>();
        using (var before = certificates.HttpsClient(address, seen: seen))
        {
            (await before.GetAsync(new Uri("/metrics", UriKind.Relative))).Dispose();
        }

        var renewed = certificates.RenewServer().SerialNumber;
        using (var after = certificates.HttpsClient(address, seen: seen))
        {
            (await after.GetAsync(new Uri("/metrics", UriKind.Relative))).Dispose();
        }

        Assert.NotEqual(first, renewed);
        Assert.Equal([first, renewed], seen.Select(c => c.SerialNumber));
    }

    [Fact]
    public async Task Runner_worker_and_scraper_are_guarded_by_the_same_file_the_same_way()
    {
        using var certificates = TestCertificates.Create();
        certificates.WriteConfig($"tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\nbasic_auth_users:\n  prometheus: {PasswordHash}\n");
        await using var db = await CreateDatabaseAsync();
        var web = WebConfigFile.Load(certificates.WebConfigFile);
        await using var runner = RunnerCommand.BuildHost(
            new RunnerOptions { Endpoint = db.Endpoint, Databases = [db.Name], Channels = "root:1", WorkerUrl = new Uri("http://127.0.0.1:1") },
            "127.0.0.1:0",
            Metrics.NewCustomRegistry(),
            web: web);
        await runner.StartAsync();
        await using var worker = await WorkerHost.StartAsync(
            new WorkerOptions { Endpoint = db.Endpoint, Listen = "127.0.0.1:0" },
            Metrics.NewCustomRegistry(),
            webConfig: WebConfigFile.Load(certificates.WebConfigFile));
        await using var scraper = await StartScraperAsync(certificates.WebConfigFile);

        foreach (var address in new[] { new Uri(runner.Urls.First()), worker.BaseAddress, new Uri(scraper.Urls.First()) })
        {
            Assert.Equal("https", address.Scheme);
            using var https = certificates.HttpsClient(address);
            foreach (var path in new[] { "/", "/metrics", "/healthz" })
            {
                using var anonymous = await https.GetAsync(new Uri(path, UriKind.Relative));
                using var allowed = await GetAsync(https, path, "prometheus", Password);
                Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
                Assert.NotEqual(HttpStatusCode.Unauthorized, allowed.StatusCode);
                Assert.NotEqual(HttpStatusCode.NotFound, allowed.StatusCode);
            }
        }

        await runner.StopAsync();
    }

    [Theory]
    [InlineData("runner")]
    [InlineData("worker")]
    [InlineData("scrape")]
    public async Task A_bad_web_config_stops_every_listener_with_one_line_and_exit_code_2(string command)
    {
        using var certificates = TestCertificates.Create();
        certificates.WriteConfig("tls_server_config:\n  cert_file: server.crt\n");

        var result = await QueueExporterCli.RunAsync([command, "--database-url", "postgres://nobody@127.0.0.1:1/none", "--listen", "127.0.0.1:0", "--web.config.file", certificates.WebConfigFile]);

        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal($"queue-exporter: --web.config.file: {certificates.WebConfigFile}: tls_server_config: missing key_file", line);
    }

    [Fact]
    public async Task A_key_that_does_not_match_the_certificate_is_a_usage_error_naming_both_files()
    {
        using var certificates = TestCertificates.Create();
        using var other = TestCertificates.Create();
        certificates.WriteConfig($"tls_server_config:\n  cert_file: server.crt\n  key_file: {other.ServerKeyFile}\n");

        var result = await QueueExporterCli.RunAsync(["scrape", "--no-database", "--listen", "127.0.0.1:0", "--web.config.file", certificates.WebConfigFile]);

        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"cannot use cert_file {certificates.ServerCertFile} with key_file {other.ServerKeyFile}", line, StringComparison.Ordinal);
    }

    // A scraper that reads no database (it follows an empty log file beside the config): only its listener is under test.
    internal static async Task<WebApplication> StartScraperAsync(string webConfigFile)
    {
        var log = Path.Combine(Path.GetDirectoryName(webConfigFile)!, "odoo.log");
        await File.WriteAllTextAsync(log, string.Empty);
        var options = new ScraperOptions { ReadDatabases = false, Listen = "127.0.0.1:0" };
        options.LogFiles.Add(log);
        var app = ScrapeCommand.Build(
            options,
            null,
            Metrics.NewCustomRegistry(),
            web: WebConfigFile.Load(webConfigFile));
        await app.StartAsync();
        return app;
    }

    private static async Task<HttpResponseMessage> GetAsync(HttpClient http, string path, string user, string password)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
        request.Headers.Authorization = TestCertificates.Basic(user, password);
        return await http.SendAsync(request);
    }
}
