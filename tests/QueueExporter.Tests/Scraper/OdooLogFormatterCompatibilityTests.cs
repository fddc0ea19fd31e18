using System.Text;
using Microsoft.Extensions.Logging;
using QueueExporter.QueueJob.Logging;
using QueueExporter.Scraper.Logs;

namespace QueueExporter.Tests.Scraper;

/// <summary>Our own runner's and worker's logs, written in Odoo's format, are read by the scraper like OCA's.</summary>
public sealed class OdooLogFormatterCompatibilityTests
{
    private static readonly DateTimeOffset Time = new(2026, 1, 5, 10, 0, 0, 123, TimeSpan.Zero);

    [Theory]
    [InlineData("QueueExporter.Runner.Dispatch", LogLevel.Information, "asking Odoo to run job 76c3 on db mydb", LogEvents.JobDispatched)]
    [InlineData("QueueExporter.Runner.Leadership", LogLevel.Information, "queue job runner ready for db mydb", LogEvents.RunnerReady)]
    [InlineData("QueueExporter.Runner.Rescue", LogLevel.Warning, "Re-queued dead job with uuid: 76c3", LogEvents.DeadJobRequeued)]
    [InlineData("QueueExporter.Worker.Runjob", LogLevel.Error, "job 76c3 failed", LogEvents.JobFailed)]
    public void A_line_written_by_our_formatter_parses_to_the_same_event(string category, LogLevel level, string message, string expected)
    {
        var line = OdooLogFormatter.FormatLine(Time, 4242, level, "mydb", category, message);

        var outcome = new LogStream().Accept(Encoding.UTF8.GetBytes(line), truncated: false);

        Assert.Equal(expected, outcome.Event);
        Assert.Equal(Time, outcome.Timestamp);
    }
}
