using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace QueueExporter.Scraper.Logs;

/// <summary>Follows every configured log file, each in its own polling loop, until the host stops.</summary>
public sealed class LogFollowerService : BackgroundService
{
    private readonly ScraperOptions _options;
    private readonly LogMetrics _metrics;
    private readonly TimeProvider _timeProvider;
    private readonly ILoggerFactory _loggerFactory;

    /// <summary>Creates the service; nothing is read before the host starts it.</summary>
    public LogFollowerService(ScraperOptions options, LogMetrics metrics, TimeProvider timeProvider, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _options = options;
        _metrics = metrics;
        _timeProvider = timeProvider;
        _loggerFactory = loggerFactory;
    }

    /// <inheritdoc />
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var tailerOptions = new LogTailerOptions { PollInterval = _options.LogPollInterval };
        var loops = _options.LogFiles.Distinct(StringComparer.Ordinal).Select(path => Task.Run(
            async () =>
            {
                using var tailer = new LogTailer(
                    path,
                    tailerOptions,
                    new LogFileMonitor(path, _metrics),
                    _loggerFactory.CreateLogger<LogTailer>());
                await tailer.RunAsync(_timeProvider, stoppingToken);
            },
            stoppingToken));
        return Task.WhenAll(loops);
    }
}
