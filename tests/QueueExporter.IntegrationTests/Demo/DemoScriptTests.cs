using System.Diagnostics;
using System.Text.RegularExpressions;

namespace QueueExporter.IntegrationTests.Demo;

/// <summary>
/// The README's first command, run as a user runs it: ./demo.sh from the checkout, stopping by itself
/// with --duration. It must show jobs being done, an alert reaching Alertmanager (which demo.sh
/// asks with amtool before stopping it), URLs that work with Debian's Prometheus, a final summary,
/// and leave nothing behind (processes, cluster, files) but the logs, whose path it prints.
/// </summary>
[Collection(Cli.BuildsTheExporter.Name)]
public partial class DemoScriptTests
{
    [Fact]
    public async Task The_demo_runs_the_whole_pipeline_and_removes_everything_when_its_duration_ends()
    {
        var root = RepositoryRoot();
        var before = Directory.GetDirectories("/tmp", "queue-exporter-demo.*").ToHashSet();
        var start = new ProcessStartInfo("bash") { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // Long enough for the demo rules' QueueJobFailureBurst (2 failures, for: 10s) under load.
        foreach (var argument in (string[])["./demo.sh", "--duration", "60"])
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Remove("QUEUE_EXPORTER_DATABASE_URL");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(deadline.Token);
        var output = await stdout + await stderr;
        var logs = LogsKept().Match(output);
        try
        {
            Assert.True(process.ExitCode == 0, output);
            Assert.Contains("runner metrics:  http://127.0.0.1:", output, StringComparison.Ordinal);
            Assert.Matches(@"Prometheus: +http://127\.0\.0\.1:[0-9]+/classic/alerts", output);
            Assert.Matches(@"Alertmanager: +http://127\.0\.0\.1:[0-9]+/api/v2/alerts", output);
            var doneCounts = DoneColumn().Matches(output).Select(m => long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
            Assert.True(doneCounts.Count > 0 && doneCounts.Max() > 0, "the summary shows jobs done:\n" + output);
            Assert.Matches(@"demo summary: fed [1-9][0-9]* jobs in [0-9]+ s; done [1-9]", output);

            // amtool's answer, printed by demo.sh from the real Alertmanager before it stops it.
            var received = output.IndexOf("demo: alerts in Alertmanager", StringComparison.Ordinal);
            Assert.True(received >= 0, "an alert reached Alertmanager:\n" + output);
            Assert.Contains("alertname=\"QueueJobFailureBurst\"", output[received..], StringComparison.Ordinal);

            Assert.True(logs.Success, "the logs' path is printed:\n" + output);
            Assert.Subset(Directory.GetFiles(logs.Groups["path"].Value).Select(Path.GetFileName).ToHashSet(),
                new HashSet<string?> { "runner.log", "worker.log", "scraper.log", "prometheus.log", "alertmanager.log" });
            Assert.EndsWith("demo: stopped, everything removed but the logs", output.TrimEnd(), StringComparison.Ordinal);
            Assert.DoesNotContain(Directory.GetDirectories("/tmp", "queue-exporter-demo.*"), d => !before.Contains(d));
        }
        finally
        {
            if (logs.Success && Directory.Exists(logs.Groups["path"].Value))
            {
                Directory.Delete(logs.Groups["path"].Value, recursive: true);
            }
        }
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "demo.sh")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("demo.sh not found above the test assembly");
    }

    [GeneratedRegex(@" done\s+(\d+) ")]
    private static partial Regex DoneColumn();

    [GeneratedRegex(@"demo: logs kept in (?<path>/tmp/queue-exporter-demo-logs\.[A-Za-z0-9]+) ")]
    private static partial Regex LogsKept();
}
