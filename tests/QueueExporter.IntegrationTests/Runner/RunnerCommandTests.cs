using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using QueueExporter.IntegrationTests.Cli;
using QueueExporter.QueueJob.Enqueue;
using QueueExporter.TestSupport;
using static QueueExporter.IntegrationTests.Runner.RunnerDispatchTests;

namespace QueueExporter.IntegrationTests.Runner;

/// <summary>The real <c>queue-exporter runner</c> process: options, /healthz, /metrics, SIGTERM.</summary>
[Collection(BuildsTheExporter.Name)]
public class RunnerCommandTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_malformed_channels_string_stops_with_one_line_and_exit_code_2()
    {
        var result = await QueueExporterCli.RunAsync(["runner", "--database-url", "postgres://nobody@127.0.0.1:1/none", "--channels", "root:4,mail:x"]);

        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("'mail:x'", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("worker")]
    [InlineData("enqueue")]
    public async Task The_native_runner_refuses_any_other_command_with_one_line_and_exit_code_2(string command)
    {
        var result = await QueueExporterCli.RunAsync([command, "--help"], executable: await NativeRunner.PathAsync());

        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"`{command}` is not available in the Native AOT build", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("standard")]
    [InlineData("native")] // scripts/publish.sh --aot's runner, as it ships: Native AOT breaks on code it cannot compile ahead.
    public async Task The_runner_process_dispatches_serves_metrics_and_stops_gracefully_on_sigterm(string build)
    {
        var executable = build == "native" ? await NativeRunner.PathAsync() : null;
        await using var db = await CreateDatabaseAsync();
        await using var worker = await FakeOdooWorker.StartAsync(_ => db.ConnectionString);
        var port = UnusedPort();
        var start = QueueExporterCli.StartInfo(
            ["runner", "--database-url", db.Url, "--worker-url", worker.Url.ToString(), "--listen", $"127.0.0.1:{port}", "--log-format", "odoo"],
            new Dictionary<string, string> { ["ODOO_QUEUE_JOB_CHANNELS"] = "root:2,root.mail:1" },
            executable);
        using var process = Process.Start(start)!;
        string uuid;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            await Eventually.UntilAsync(async () => await TryGetStatusAsync(http, "/healthz") == HttpStatusCode.OK, Patience, "/healthz answers 200");
            uuid = await EnqueueAsync(db, new NewJob { ModelName = "m", MethodName = "x", Channel = "root.mail" });
            Assert.Equal(uuid, (await worker.NextCallAsync(Patience)).Uuid);
            string metrics = "";
            await Eventually.UntilAsync(
                // ok, or timeout on a machine too busy for the fake worker to answer within 1 s: both are normal outcomes.
                async () => (metrics = await http.GetStringAsync("/metrics")).Contains($"queue_runner_dispatches_total{{server=\"{db.ServerLabel}\",database=\"{db.Name}\",channel=\"root.mail\",outcome=\"ok\"}} 1", StringComparison.Ordinal)
                    || metrics.Contains($"queue_runner_dispatches_total{{server=\"{db.ServerLabel}\",database=\"{db.Name}\",channel=\"root.mail\",outcome=\"timeout\"}} 1", StringComparison.Ordinal),
                Patience,
                "the dispatch is counted on /metrics");

            Assert.Contains($"queue_runner_leader{{server=\"{db.ServerLabel}\",database=\"{db.Name}\"}} 1", metrics, StringComparison.Ordinal);
            Assert.Contains("queue_runner_channel_capacity{channel=\"root.mail\"} 1", metrics, StringComparison.Ordinal);
            Assert.Contains("queue_exporter_build_info{component=\"runner\",version=", metrics, StringComparison.Ordinal);
            Assert.Contains("queue_runner_heartbeat_timestamp_seconds ", metrics, StringComparison.Ordinal);
            Assert.Contains("queue_runner_dispatch_latency_seconds_bucket{channel=\"root.mail\"", metrics, StringComparison.Ordinal);
            await AssertPromtoolAcceptsAsync(metrics);
        }
        finally
        {
            await QueueExporterCli.TerminateAsync(process, Patience);
        }

        var output = await stdout;
        Assert.Equal(0, process.ExitCode);
        Assert.Contains("Configured channel: root.mail(C:1,Q:0,R:0,F:0)", output, StringComparison.Ordinal);
        Assert.Contains($"queue job runner ready for db {db.Name}", output, StringComparison.Ordinal);
        Assert.Contains($"odoo.addons.queue_job.jobrunner.runner: asking Odoo to run job {uuid} on db {db.Name}", output, StringComparison.Ordinal);
        Assert.Contains("graceful stop requested", output, StringComparison.Ordinal);
        Assert.Contains("stopped", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", await stderr, StringComparison.Ordinal);
    }

    private static async Task AssertPromtoolAcceptsAsync(string metrics)
    {
        var promtool = new ProcessStartInfo("promtool", ["check", "metrics"]) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        Process check;
        try
        {
            check = Process.Start(promtool)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return; // test.sh installs promtool; a bare `dotnet test` on a machine without it skips this check.
        }

        using (check)
        {
            await check.StandardInput.WriteAsync(metrics);
            check.StandardInput.Close();
            var problems = await check.StandardOutput.ReadToEndAsync() + await check.StandardError.ReadToEndAsync();
            await check.WaitForExitAsync();
            var ours = problems.Split('\n').Where(l => l.Contains("queue_runner", StringComparison.Ordinal)).ToList();
            Assert.True(ours.Count == 0, string.Join('\n', ours));
        }
    }

    internal static async Task<HttpStatusCode?> TryGetStatusAsync(HttpClient http, string path)
    {
        try
        {
            using var response = await http.GetAsync(path);
            return response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    internal static int UnusedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
