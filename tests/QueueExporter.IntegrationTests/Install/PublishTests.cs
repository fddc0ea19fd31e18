using System.Diagnostics;
using System.Text.RegularExpressions;
using QueueExporter.IntegrationTests.Cli;
using QueueExporter.IntegrationTests.Monitoring;

namespace QueueExporter.IntegrationTests.Install;

/// <summary>
/// scripts/publish.sh end to end for this machine's platform: the archive holds one executable that
/// runs without the SDK's dotnet, reports the version and revision it was built from, and serves
/// /metrics. (linux-arm64 is built the same way; it cannot run here.)
/// </summary>
[Collection(BuildsTheExporter.Name)]
public sealed partial class PublishTests : IDisposable
{
    private static readonly TimeSpan PublishPatience = TimeSpan.FromMinutes(15);

    private readonly string _directory = Directory.CreateTempSubdirectory("publish-").FullName;

    [Fact]
    public async Task The_published_single_file_reports_its_version_and_revision_and_serves_metrics()
    {
        var publish = await ExternalTool.RunAsync(Path.Combine(RepositoryPaths.Root, "scripts", "publish.sh"), ["--rid", "linux-x64", "--output", _directory], timeout: PublishPatience);
        Assert.True(publish.ExitCode == 0, publish.Output);
        var archive = Assert.Single(Directory.GetFiles(_directory, "queue-exporter-*-linux-x64.tar.gz"));
        Assert.Contains(Path.GetFileName(archive), await File.ReadAllTextAsync(Path.Combine(_directory, "SHA256SUMS")), StringComparison.Ordinal);
        var untar = await ExternalTool.RunAsync("tar", ["-xzf", archive, "-C", _directory]);
        Assert.True(untar.ExitCode == 0, untar.Output);
        var root = Directory.GetDirectories(_directory).Single();
        var executable = Assert.Single(Directory.GetFiles(Path.Combine(root, "bin")));
        Assert.Equal("queue-exporter", Path.GetFileName(executable));
        Assert.True(File.Exists(Path.Combine(root, "systemd", "queue-exporter-runner.service")));
        Assert.True(File.Exists(Path.Combine(root, "docs", "beside-odoo.md")));

        var head = (await ExternalTool.RunAsync("git", ["rev-parse", "HEAD"])).StandardOutput.Trim();
        var version = await ExternalTool.RunAsync(executable, ["--version"]);
        Assert.Equal(0, version.ExitCode);
        Assert.Matches($"^0\\.1\\.0\\+{head}(-dirty)?$", version.StandardOutput.Trim());

        // The executable alone (no dotnet host, no files beside it) runs a command and serves /metrics.
        var logFile = Path.Combine(_directory, "odoo.log");
        await File.WriteAllTextAsync(logFile, "");
        var start = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])["scrape", "--no-database", "--log-file", logFile, "--listen", "127.0.0.1:0"])
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        try
        {
            var address = await QueueExporterCli.ReadListeningAddressAsync(process, ScrapeListening(), TimeSpan.FromSeconds(60));
            using var http = new HttpClient { BaseAddress = address };
            var metrics = await http.GetStringAsync(new Uri("metrics", UriKind.Relative));
            Assert.Matches($"queue_exporter_build_info{{component=\"scrape\",version=\"0.1.0\",revision=\"{head}(-dirty)?\"}} 1", metrics);
            await QueueExporterCli.TerminateAsync(process, TimeSpan.FromSeconds(30));
            Assert.Equal(0, process.ExitCode);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [GeneratedRegex(@"scrape listening on (http://127\.0\.0\.1:\d+)/metrics")]
    private static partial Regex ScrapeListening();
}
