using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Prometheus;
using QueueExporter.Scraper.Logs;
using Xunit;

namespace QueueExporter.IntegrationTests.Scraper;

public sealed class LogFileMonitorTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("queue-exporter-logs-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_followed_file_with_junk_exports_lines_events_and_the_last_timestamp()
    {
        var path = Path.Combine(_directory, "odoo.log");
        File.WriteAllText(path, string.Empty);
        var registry = Metrics.NewCustomRegistry();
        var monitor = new LogFileMonitor(path, new LogMetrics(registry));
        using var tailer = new LogTailer(path, new LogTailerOptions { MaxLineBytes = 4096 }, monitor, NullLogger<LogTailer>.Instance);
        tailer.Poll();

        using (var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite))
        {
            file.Write(Encoding.UTF8.GetBytes(
                "2025-12-09 07:22:40,131 2229881 INFO ? odoo.addons.queue_job.jobrunner.runner: queue job runner ready for db mydb\n"));
            file.Write([0x00, 0x00, 0xFF, 0xFE, 0x13, 0x37, (byte)'\n']);
            file.Write(Encoding.UTF8.GetBytes(new string('=', 10_000) + "\n"));
            file.Write(Encoding.UTF8.GetBytes(
                "2025-12-09 07:22:44,390 2229890 ERROR mydb odoo.addons.queue_job.controllers.main: Traceback (most recent call last):\n" +
                "  File \"/opt/odoo/addons/queue_job/job.py\", line 503, in perform\n" +
                "ValueError: boom\n"));
            file.Write([0xC3, 0x28, (byte)'\n']);
        }

        tailer.Poll();

        var text = await ExportAsync(registry);
        Assert.Contains($"queue_job_log_lines_total{{file=\"{path}\",level=\"info\"}} 1", text, StringComparison.Ordinal);
        Assert.Contains($"queue_job_log_lines_total{{file=\"{path}\",level=\"error\"}} 3", text, StringComparison.Ordinal);
        Assert.Contains($"queue_job_log_lines_total{{file=\"{path}\",level=\"unparsed\"}} 3", text, StringComparison.Ordinal);
        Assert.Contains($"queue_job_log_events_total{{file=\"{path}\",event=\"runner_ready\"}} 1", text, StringComparison.Ordinal);
        Assert.Contains($"queue_job_log_events_total{{file=\"{path}\",event=\"job_failed\"}} 1", text, StringComparison.Ordinal);
        var expectedTimestamp = new DateTimeOffset(2025, 12, 9, 7, 22, 44, 390, TimeSpan.Zero).ToUnixTimeMilliseconds() / 1000.0;
        Assert.Contains(
            FormattableString.Invariant($"queue_job_log_last_line_timestamp_seconds{{file=\"{path}\"}} {expectedTimestamp}"),
            text,
            StringComparison.Ordinal);
    }

    private static async Task<string> ExportAsync(CollectorRegistry registry)
    {
        using var stream = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
