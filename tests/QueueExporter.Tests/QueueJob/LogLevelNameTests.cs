using Microsoft.Extensions.Logging;
using QueueExporter.QueueJob.Logging;

namespace QueueExporter.Tests.QueueJob;

public class LogLevelNameTests
{
    [Theory]
    [InlineData("trace", LogLevel.Trace)]
    [InlineData("debug", LogLevel.Debug)]
    [InlineData("information", LogLevel.Information)]
    [InlineData("Warning", LogLevel.Warning)]
    [InlineData("error", LogLevel.Error)]
    public void Each_documented_level_name_is_read(string name, LogLevel level)
    {
        Assert.True(LoggingSetup.TryParseLevel(name, out var parsed));
        Assert.Equal(level, parsed);
    }

    [Theory]
    [InlineData("info")]
    [InlineData("critical")]
    [InlineData("none")]
    [InlineData("")]
    public void Any_other_name_is_refused(string name)
    {
        Assert.False(LoggingSetup.TryParseLevel(name, out _));
    }

    [Fact]
    public void The_console_logger_writes_nothing_below_the_chosen_level()
    {
        using var factory = LoggerFactory.Create(b => b.AddQueueExporterConsole("simple", LogLevel.Warning));
        var logger = factory.CreateLogger("QueueExporter.Runner.JobRunner");

        Assert.False(logger.IsEnabled(LogLevel.Information));
        Assert.True(logger.IsEnabled(LogLevel.Warning));
    }

    [Fact]
    public void At_debug_our_lines_are_written_but_the_web_frameworks_stay_at_warning()
    {
        using var factory = LoggerFactory.Create(b => b.AddQueueExporterConsole("simple", LogLevel.Debug));

        Assert.True(factory.CreateLogger("QueueExporter.Runner.JobRunner").IsEnabled(LogLevel.Debug));
        Assert.False(factory.CreateLogger("Microsoft.AspNetCore.Hosting.Diagnostics").IsEnabled(LogLevel.Information));
    }
}
