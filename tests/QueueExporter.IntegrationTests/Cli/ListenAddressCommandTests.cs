using System.Net;
using System.Net.Sockets;

namespace QueueExporter.IntegrationTests.Cli;

/// <summary>--listen on the three listeners, as the real process: a bad value or a busy port stops it with one line.</summary>
public class ListenAddressCommandTests
{
    // No database is needed: both checks happen before any connection is made.
    private const string NoDatabase = "postgres://nobody@127.0.0.1:1/none";

    [Theory]
    [InlineData("runner")]
    [InlineData("worker")]
    [InlineData("scrape")]
    public async Task A_listen_value_that_is_not_host_and_port_stops_with_one_line_and_exit_code_2(string command)
    {
        var result = await QueueExporterCli.RunAsync([command, "--database-url", NoDatabase, "--listen", "notaport"]);

        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("'notaport'", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("runner")]
    [InlineData("worker")]
    [InlineData("scrape")]
    public async Task A_port_already_in_use_is_named_as_such_in_one_line_with_exit_code_1_and_no_stack_trace(string command)
    {
        using var occupant = new TcpListener(IPAddress.Loopback, 0);
        occupant.Start();
        var port = ((IPEndPoint)occupant.LocalEndpoint).Port;

        var result = await QueueExporterCli.RunAsync([command, "--database-url", NoDatabase, "--listen", $"127.0.0.1:{port}"]);

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal($"queue-exporter: cannot listen on 127.0.0.1:{port}: address already in use", line);
        Assert.DoesNotContain("Exception", result.Stdout, StringComparison.Ordinal);
    }
}
