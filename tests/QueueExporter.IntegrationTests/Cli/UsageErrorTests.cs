namespace QueueExporter.IntegrationTests.Cli;

/// <summary>Every usage error, the parser's own included, is one line on stderr and exit code 2: never the whole help.</summary>
public class UsageErrorTests
{
    private const string NoDatabase = "postgres://nobody@127.0.0.1:1/none";
    private const string OtherServer = "postgres://nobody@127.0.0.2:1/none";

    [Theory]
    [InlineData("--http-timeout", "runner", "--http-timeout", "1e300")]
    [InlineData("--rescue-interval", "runner", "--rescue-interval", "0")]
    [InlineData("--stop-grace-period", "runner", "--stop-grace-period", "8d")]
    [InlineData("--interval", "scrape", "--interval", "1e30")]
    [InlineData("--statement-timeout", "scrape", "--statement-timeout", "-5s")]
    [InlineData("--max-connections-per-database", "runner", "--max-connections-per-database", "x")]
    [InlineData("--no-such-option", "scrape", "--no-such-option")]
    [InlineData("--log-level", "runner", "--log-level", "verbose")]
    [InlineData("--log-level", "scrape", "--log-level", "info")]
    [InlineData("--log-level", "worker", "--log-level", "loud")]
    [InlineData("--lock-check-interval", "worker", "--lock-check-interval", "1e9")]
    [InlineData("--default-retry-delay", "worker", "--default-retry-delay", "-1")]
    [InlineData("--default-retry-delay", "worker", "--default-retry-delay", "8d")]
    [InlineData("--odoo-config", "scrape", "--odoo-config", "/nonexistent/odoo.conf")]
    [InlineData("--worker-url", "runner", "--database-url", OtherServer, "--worker-url", "http://a:1", "--worker-url", "http://b:1", "--worker-url", "http://c:1")]
    [InlineData("--database", "runner", "--database-url", OtherServer, "--database", "shop")]
    [InlineData("given more than once", "runner", "--database-url", NoDatabase)]
    [InlineData("--database-url", "scrape", "--database-url", OtherServer)]
    [InlineData("--capacity-scope", "runner", "--capacity-scope", "cluster")]
    public async Task A_bad_option_stops_with_one_line_naming_it_and_exit_code_2(string named, params string[] arguments)
    {
        var result = await QueueExporterCli.RunAsync([.. arguments, "--database-url", NoDatabase]);

        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("queue-exporter: ", line, StringComparison.Ordinal);
        Assert.Contains(named, line, StringComparison.Ordinal);
        Assert.DoesNotContain("Usage:", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_runner_takes_durations_with_units_like_the_scraper()
    {
        // A unit-bearing duration is accepted: the run goes on to the listen check, which fails on a bad address.
        var result = await QueueExporterCli.RunAsync(["runner", "--database-url", NoDatabase, "--http-timeout", "500ms", "--rescue-interval", "5s", "--safety-poll-interval", "1m", "--listen", "nohost:x"]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--listen", result.Stderr, StringComparison.Ordinal);
    }
}
