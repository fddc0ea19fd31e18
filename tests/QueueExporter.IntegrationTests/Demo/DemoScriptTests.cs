using System.Diagnostics;
using System.Text.RegularExpressions;

namespace QueueExporter.IntegrationTests.Demo;

/// <summary>
/// The README's first command, run as a user runs it: ./demo.sh from the checkout, stopping by itself
/// with --duration. It must show jobs being done and leave nothing behind (processes, cluster, files).
/// </summary>
public partial class DemoScriptTests
{
    [Fact]
    public async Task The_demo_runs_the_whole_pipeline_and_removes_everything_when_its_duration_ends()
    {
        var root = RepositoryRoot();
        var before = Directory.GetDirectories("/tmp", "queue-exporter-demo.*").ToHashSet();
        var start = new ProcessStartInfo("bash") { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])["./demo.sh", "--duration", "15"])
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Remove("QUEUE_EXPORTER_DATABASE_URL");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        await process.WaitForExitAsync(deadline.Token);
        var output = await stdout + await stderr;

        Assert.True(process.ExitCode == 0, output);
        Assert.Contains("runner metrics:  http://127.0.0.1:", output, StringComparison.Ordinal);
        var doneCounts = DoneColumn().Matches(output).Select(m => long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.True(doneCounts.Count > 0 && doneCounts.Max() > 0, "the summary shows jobs done:\n" + output);
        Assert.EndsWith("demo: stopped, everything removed", output.TrimEnd(), StringComparison.Ordinal);
        Assert.DoesNotContain(Directory.GetDirectories("/tmp", "queue-exporter-demo.*"), d => !before.Contains(d));
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
}
