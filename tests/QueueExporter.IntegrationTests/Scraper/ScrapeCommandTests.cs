using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using QueueExporter.IntegrationTests.Cli;
using QueueExporter.TestSupport;

namespace QueueExporter.IntegrationTests.Scraper;

/// <summary>The real executable: help, a bad option, and a run that follows a log and stops on SIGTERM.</summary>
public sealed partial class ScrapeCommandTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly string _directory = Directory.CreateTempSubdirectory("queue-exporter-scrape-cli-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Help_describes_every_option()
    {
        var (exitCode, stdout, _) = await QueueExporterCli.RunAsync(["scrape", "--help"]);

        Assert.Equal(0, exitCode);
        foreach (var option in new[]
        {
            "--database-url", "--database", "--no-database", "--log-file", "--listen", "--interval",
            "--terminal-interval", "--terminal-timeout", "--terminal-exact-limit", "--statement-timeout",
            "--max-channels", "--channel-idle", "--max-functions", "--auth-user", "--auth-password", "--log-format",
        })
        {
            Assert.Matches(new Regex($@"^\s+{Regex.Escape(option)}\b.*\S\s{{2,}}\S", RegexOptions.Multiline), stdout);
        }
    }

    [Fact]
    public async Task A_bad_option_value_exits_2_with_one_line_naming_it()
    {
        var (exitCode, _, stderr) = await QueueExporterCli.RunAsync(["scrape", "--no-database", "--log-file", "x.log", "--listen", "nowhere"]);

        Assert.Equal(2, exitCode);
        Assert.StartsWith("queue-exporter: --listen", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_scrape_command_follows_a_log_file_and_stops_cleanly_on_sigterm()
    {
        var logFile = Path.Combine(_directory, "odoo.log");
        await File.WriteAllTextAsync(logFile, "2025-12-09 07:00:00,000 1 INFO ? odoo: an old line, before the exporter started\n");
        using var process = Process.Start(QueueExporterCli.StartInfo(["scrape", "--no-database", "--log-file", logFile, "--listen", "127.0.0.1:0"]))
            ?? throw new InvalidOperationException("could not start queue-exporter scrape");
        try
        {
            var metricsUri = await QueueExporterCli.ReadListeningAddressAsync(process, ListeningLine(), Timeout);
            using var http = new HttpClient { Timeout = Timeout };
            await File.AppendAllTextAsync(
                logFile,
                "2025-12-09 07:23:20,000 2229881 ERROR ? odoo.addons.queue_job.jobrunner.runner: exception: sleeping 5s and retrying\n"
                + "Traceback (most recent call last):\n"
                + "psycopg2.OperationalError: server closed the connection unexpectedly\n");

            string text = string.Empty;
            await Eventually.UntilAsync(
                async () =>
                {
                    text = await http.GetStringAsync(metricsUri);
                    var seen = ExportedMetrics.Parse(text);
                    // The event is counted at its first line; its traceback lines may be read a moment later.
                    return seen.Value("queue_job_log_events_total", ("file", logFile), ("event", "runner_error")) == 1
                        && seen.Value("queue_job_log_lines_total", ("file", logFile), ("level", "error")) >= 3;
                },
                Timeout,
                "the appended runner error and its traceback reach /metrics");
            var metrics = ExportedMetrics.Parse(text);
            Assert.Equal(3, metrics.Value("queue_job_log_lines_total", ("file", logFile), ("level", "error")));
            Assert.Null(metrics.Value("queue_job_log_lines_total", ("file", logFile), ("level", "info")));

            await QueueExporterCli.TerminateAsync(process, Timeout);
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


    [GeneratedRegex(@"scrape listening on (http://127\.0\.0\.1:\d+/metrics)")]
    private static partial Regex ListeningLine();
}
