using System.Text;
using QueueExporter.Scraper.Logs;
using Xunit;

namespace QueueExporter.Tests.Scraper;

public sealed class LogStreamTests
{
    [Fact]
    public void A_runner_session_counts_each_line_under_its_record_level()
    {
        var outcomes = Run(new LogStream(), OdooLogSamples.Lines(OdooLogSamples.RunnerSession));

        var byLevel = outcomes.GroupBy(o => o.Level).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(40, outcomes.Count);
        Assert.Equal(11, byLevel[LogLevels.Info]);
        Assert.Equal(25, byLevel[LogLevels.Error]);
        Assert.Equal(3, byLevel[LogLevels.Warning]);
        Assert.Equal(1, byLevel[LogLevels.Debug]);
        Assert.False(byLevel.ContainsKey(LogLevels.Unparsed));
    }

    [Fact]
    public void A_runner_session_yields_each_event_once_tracebacks_included()
    {
        var events = Run(new LogStream(), OdooLogSamples.Lines(OdooLogSamples.RunnerSession))
            .Where(o => o.Event is not null)
            .GroupBy(o => o.Event!)
            .ToDictionary(g => g.Key, g => g.Count());

        var expected = new Dictionary<string, int>
        {
            [LogEvents.RunnerReady] = 2,
            [LogEvents.JobDispatched] = 2,
            ["runjob_http_2xx"] = 1,
            ["runjob_http_5xx"] = 1,
            [LogEvents.JobFailed] = 1,
            [LogEvents.StateReset] = 1,
            [LogEvents.DeadJobRequeued] = 1,
            [LogEvents.DispatchError] = 1,
            [LogEvents.RunnerError] = 1,
            [LogEvents.JobNotRunnable] = 1,
            [LogEvents.TriggerMissing] = 1,
            [LogEvents.UnexpectedState] = 1,
        };
        Assert.Equal(expected.OrderBy(p => p.Key), events.OrderBy(p => p.Key));
    }

    [Fact]
    public void Text_before_any_record_is_unparsed_and_a_traceback_after_one_is_not()
    {
        var outcomes = Run(new LogStream(), [
            "  File \"x.py\", line 1, in <module>",
            "2025-12-09 07:22:44,390 2229890 ERROR mydb odoo.addons.queue_job.controllers.main: Traceback (most recent call last):",
            "  File \"x.py\", line 1, in <module>",
        ]);

        Assert.Equal([LogLevels.Unparsed, LogLevels.Error, LogLevels.Error], outcomes.Select(o => o.Level));
    }

    [Fact]
    public void Invalid_utf8_binary_and_cut_lines_are_unparsed_and_end_the_open_record()
    {
        var stream = new LogStream();
        var header = Encoding.UTF8.GetBytes("2025-12-09 07:22:44,390 1 ERROR mydb odoo.addons.queue_job.controllers.main: Traceback");

        var outcomes = new[]
        {
            stream.Accept(header, truncated: false),
            stream.Accept([0xC3, 0x28, 0x41], truncated: false),
            stream.Accept("  continuation after junk"u8, truncated: false),
            stream.Accept(header, truncated: false),
            stream.Accept([0x00, 0x01, 0x02, 0x41], truncated: false),
            stream.Accept(header, truncated: false),
            stream.Accept(header, truncated: true),
        };

        Assert.Equal(
            [LogLevels.Error, LogLevels.Unparsed, LogLevels.Unparsed, LogLevels.Error, LogLevels.Unparsed, LogLevels.Error, LogLevels.Unparsed],
            outcomes.Select(o => o.Level));
    }

    [Fact]
    public void A_carriage_return_before_the_newline_is_ignored()
    {
        var outcome = new LogStream().Accept(
            "2025-12-09 07:22:40,131 1 INFO ? odoo.addons.queue_job.jobrunner.runner: queue job runner ready for db mydb\r"u8,
            truncated: false);

        Assert.Equal(LogEvents.RunnerReady, outcome.Event);
    }

    [Fact]
    public void Reset_ends_the_open_record()
    {
        var stream = new LogStream();
        stream.Accept("2025-12-09 07:22:40,131 1 ERROR ? odoo.addons.queue_job.jobrunner.runner: exception: sleeping 5s and retrying"u8, false);

        stream.Reset();

        Assert.Equal(LogLevels.Unparsed, stream.Accept("Traceback (most recent call last):"u8, false).Level);
    }

    [Fact]
    public void Header_lines_carry_their_timestamp()
    {
        var outcome = new LogStream().Accept("2025-12-09 07:22:40,131 1 INFO ? odoo.service.server: HTTP service running"u8, false);

        Assert.Equal(new DateTimeOffset(2025, 12, 9, 7, 22, 40, 131, TimeSpan.Zero), outcome.Timestamp);
    }

    private static List<LogLineOutcome> Run(LogStream stream, IEnumerable<string> lines) =>
        [.. lines.Select(line => stream.Accept(Encoding.UTF8.GetBytes(line), truncated: false))];
}
