using QueueExporter.Scraper.Logs;
using Xunit;

namespace QueueExporter.Tests.Scraper;

public sealed class LogLineParserTests
{
    [Fact]
    public void A_runner_line_yields_every_field_of_the_prefix()
    {
        var header = LogLineParser.ParseHeader(
            "2025-12-09 07:22:43,908 2229881 INFO ? odoo.addons.queue_job.jobrunner.runner: asking Odoo to run job 76c3 on db mydb");

        Assert.NotNull(header);
        Assert.Equal(new DateTimeOffset(2025, 12, 9, 7, 22, 43, 908, TimeSpan.Zero), header.Timestamp);
        Assert.Equal(2229881, header.Pid);
        Assert.Equal(LogLevels.Info, header.Level);
        Assert.Equal("?", header.Database);
        Assert.Equal("odoo.addons.queue_job.jobrunner.runner", header.Logger);
        Assert.Equal("asking Odoo to run job 76c3 on db mydb", header.Message);
    }

    [Theory]
    [InlineData("DEBUG", LogLevels.Debug)]
    [InlineData("INFO", LogLevels.Info)]
    [InlineData("WARNING", LogLevels.Warning)]
    [InlineData("ERROR", LogLevels.Error)]
    [InlineData("CRITICAL", LogLevels.Critical)]
    [InlineData("DEBUG_RPC", LogLevels.Other)]
    public void Levels_map_to_a_closed_set_of_labels(string levelName, string expected)
    {
        var header = LogLineParser.ParseHeader($"2025-12-09 07:22:43,908 1 {levelName} mydb odoo.http: hello");

        Assert.Equal(expected, header?.Level);
    }

    [Fact]
    public void A_record_with_an_empty_message_is_still_a_record()
    {
        var header = LogLineParser.ParseHeader("2025-12-09 07:22:43,908 12 ERROR mydb odoo.addons.queue_job.controllers.main:");

        Assert.NotNull(header);
        Assert.Equal(string.Empty, header.Message);
    }

    [Theory]
    [InlineData("Traceback (most recent call last):")]
    [InlineData("  File \"/opt/odoo/addons/queue_job/job.py\", line 503, in perform")]
    [InlineData("")]
    [InlineData("2025-12-09 07:22:43 2229881 INFO ? odoo: no milliseconds")]
    [InlineData("2025-13-09 07:22:43,908 2229881 INFO ? odoo: month 13")]
    [InlineData("2025-12-09 07:22:43,908 pid INFO ? odoo: pid is no number")]
    [InlineData("2025-12-09 07:22:43,908 2229881 info ? odoo: lower-case level")]
    [InlineData("2025-12-09 07:22:43,908 2229881 INFO ? odoo no colon after the logger")]
    public void Lines_without_the_full_prefix_are_not_headers(string line)
    {
        Assert.Null(LogLineParser.ParseHeader(line));
    }
}
