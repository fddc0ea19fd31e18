using QueueExporter.Commands;
using QueueExporter.Scraper;

namespace QueueExporter.Tests.Scraper;

public sealed class ScraperOptionsTests
{
    [Fact]
    public void Defaults_are_valid()
    {
        Assert.Empty(new ScraperOptions().Validate());
    }

    [Fact]
    public void Each_bad_setting_is_named_in_its_own_line()
    {
        var options = new ScraperOptions
        {
            ReadDatabases = false,
            Listen = "9732",
            RefreshInterval = TimeSpan.Zero,
            TerminalInterval = TimeSpan.FromSeconds(-1),
            AuthUser = "prometheus",
        };

        var problems = options.Validate();

        Assert.Contains(problems, p => p.StartsWith("--no-database", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("--listen", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("--interval", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("--terminal-interval", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("--auth-user/--auth-password", StringComparison.Ordinal));
    }

    [Fact]
    public void Each_bad_scale_setting_is_named_in_its_own_line()
    {
        var options = new ScraperOptions
        {
            TerminalTimeout = TimeSpan.Zero,
            TerminalExactLimit = -1,
            MaxChannels = -1,
            MaxFunctions = -1,
            ChannelIdleTime = TimeSpan.FromMinutes(5),
        };

        var problems = options.Validate();

        Assert.Contains(problems, p => p.StartsWith("--terminal-timeout", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("--terminal-exact-limit", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("--max-channels", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("--max-functions", StringComparison.Ordinal));
        // Equal to the default --terminal-interval: a channel seen only by the terminal count would
        // expire between two counts.
        Assert.Contains(problems, p => p.StartsWith("--channel-idle", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("127.0.0.1:9732", "127.0.0.1", 9732)]
    [InlineData("[::1]:9000", "::1", 9000)]
    [InlineData("0.0.0.0:0", "0.0.0.0", 0)]
    public void Listen_addresses_split_into_host_and_port(string listen, string host, int port)
    {
        Assert.True(ScraperOptions.TryParseListen(listen, out var parsedHost, out var parsedPort));
        Assert.Equal((host, port), (parsedHost, parsedPort));
    }

    [Theory]
    [InlineData("--interval", "500ms")]
    [InlineData("--interval", "15s")]
    [InlineData("--terminal-interval", "0")]
    [InlineData("--statement-timeout", "2.5")]
    [InlineData("--terminal-interval", "30m")]
    [InlineData("--terminal-timeout", "2m")]
    [InlineData("--channel-idle", "24h")]
    public void Durations_accept_units_and_bare_seconds(string option, string value)
    {
        Assert.Empty(ScrapeCommand.Create().Parse([option, value]).Errors);
    }

    [Theory]
    [InlineData("5x")]
    [InlineData("-1s")]
    [InlineData("soon")]
    public void A_bad_duration_is_a_parse_error_naming_the_option(string value)
    {
        var error = Assert.Single(ScrapeCommand.Create().Parse(["--interval", value]).Errors);

        Assert.StartsWith("--interval", error.Message, StringComparison.Ordinal);
    }
}
