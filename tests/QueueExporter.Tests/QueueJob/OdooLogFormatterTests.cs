using Microsoft.Extensions.Logging;
using QueueExporter.QueueJob.Logging;

namespace QueueExporter.Tests.QueueJob;

public class OdooLogFormatterTests
{
    [Fact]
    public void A_runner_record_reads_like_odoos_own_runner_line()
    {
        var time = new DateTimeOffset(2025, 12, 9, 7, 22, 43, 908, TimeSpan.Zero);

        var line = OdooLogFormatter.FormatLine(time, 2229881, LogLevel.Information, null, "QueueExporter.Runner.Dispatch.Dispatcher", "asking Odoo to run job 76c3 on db mydb");

        Assert.Equal("2025-12-09 07:22:43,908 2229881 INFO ? odoo.addons.queue_job.jobrunner.runner: asking Odoo to run job 76c3 on db mydb", line);
    }

    [Theory]
    [InlineData("QueueExporter.Runner.Channels.ChannelTree", "odoo.addons.queue_job.jobrunner.channels")]
    [InlineData("QueueExporter.Worker.RunJobEndpoint", "odoo.addons.queue_job.controllers.main")]
    [InlineData("Some.Other.Category", "Some.Other.Category")]
    public void Categories_map_to_queue_job_logger_names(string category, string expected)
    {
        Assert.Equal(expected, OdooLogFormatter.OdooLoggerName(category));
    }

    [Fact]
    public void A_multi_line_message_stays_on_one_line_and_the_database_fills_dbname()
    {
        var line = OdooLogFormatter.FormatLine(DateTimeOffset.UnixEpoch, 1, LogLevel.Warning, "prod", "QueueExporter.Runner.X", "a\nb");

        Assert.EndsWith("1 WARNING prod odoo.addons.queue_job.jobrunner.runner: a b", line, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_format_is_refused_with_the_choices()
    {
        var error = Assert.Throws<ArgumentException>(() => LoggerFactory.Create(b => b.AddQueueExporterConsole("xml")));

        Assert.Contains("simple, odoo, json", error.Message, StringComparison.Ordinal);
    }
}
