using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using QueueExporter.IntegrationTests.Cli;
using QueueExporter.TestSupport;

namespace QueueExporter.IntegrationTests.Monitoring;

/// <summary>
/// Every listener (runner, worker, scrape) run as the real process, its /metrics checked by the real
/// <c>promtool check metrics</c>: an exporter's output must draw no finding at all, not only in our own families.
/// </summary>
public class ExporterPromtoolTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("runner")]
    [InlineData("worker")]
    [InlineData("scrape")]
    public async Task The_default_metrics_of_each_listener_pass_promtool_with_no_finding_and_keep_the_process_metrics(string command)
    {
        var server = await PostgresServer.SharedAsync();
        await using var db = await server.CreateDatabaseAsync();

        var metrics = await ScrapeAsync(command, db, runtimeMetrics: false);

        var check = await ExternalTool.RunAsync("promtool", ["check", "metrics"], standardInput: metrics);
        Assert.True(check.ExitCode == 0 && check.Output.Length == 0, $"promtool on {command}:\n{check.Output}");
        foreach (var family in new[] { "process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds", "process_start_time_seconds" })
        {
            Assert.Contains($"\n{family} ", metrics, StringComparison.Ordinal);
        }

        // One build-info family for every component, with the revision the build stamped in.
        Assert.Matches($"\nqueue_exporter_build_info{{component=\"{command}\",version=\"[0-9][^\"]*\",revision=\"[0-9a-f]{{7,40}}\"}} 1\n", metrics);
        Assert.DoesNotContain("private_internaldiagnostics", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("\nnpgsql_", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("\ndotnet_", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_runtime_metrics_flag_adds_the_runtime_and_library_meters()
    {
        var server = await PostgresServer.SharedAsync();
        await using var db = await server.CreateDatabaseAsync();

        var metrics = await ScrapeAsync("scrape", db, runtimeMetrics: true, until: text => text.Contains("npgsql_", StringComparison.Ordinal));

        Assert.Contains("npgsql_", metrics, StringComparison.Ordinal);
        Assert.Contains("\nprocess_cpu_seconds_total ", metrics, StringComparison.Ordinal);
    }

    private static async Task<string> ScrapeAsync(string command, TestDatabase db, bool runtimeMetrics, Func<string, bool>? until = null)
    {
        var port = UnusedPort();
        List<string> arguments = [command, "--database-url", db.Url, "--listen", $"127.0.0.1:{port}"];
        if (command == "runner")
        {
            // A worker URL nobody answers: the runner's metrics do not depend on it.
            arguments.AddRange(["--worker-url", $"http://127.0.0.1:{UnusedPort()}"]);
        }

        if (runtimeMetrics)
        {
            arguments.Add("--runtime-metrics");
        }

        using var process = Process.Start(QueueExporterCli.StartInfo(arguments))!;
        _ = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            var text = "";
            await Eventually.UntilAsync(
                async () => !process.HasExited && (text = await TryGetAsync(http)) is { Length: > 0 } && (until?.Invoke(text) ?? true),
                Patience,
                $"{command} serves /metrics");
            return text;
        }
        catch (TimeoutException) when (process.HasExited)
        {
            throw new InvalidOperationException($"{command} exited with {process.ExitCode}: {await stderr}");
        }
        finally
        {
            if (!process.HasExited)
            {
                await QueueExporterCli.TerminateAsync(process, Patience);
            }
        }
    }

    private static async Task<string> TryGetAsync(HttpClient http)
    {
        try
        {
            return await http.GetStringAsync("/metrics");
        }
        catch (HttpRequestException)
        {
            return "";
        }
    }

    private static int UnusedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
