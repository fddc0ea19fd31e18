using Microsoft.Extensions.Logging;
using Npgsql;
using QueueExporter.QueueJob.Connection;
using QueueExporter.QueueJob.Schema;

namespace QueueExporter.Scraper.Database;

/// <summary>
/// Refreshes one database's frequent gauges on its own loop: unfinished-state counts and ages,
/// and runner sessions. Nothing it reads grows with the table's history (done, cancelled and
/// failed rows are <see cref="TerminalTotalsRefresher"/>'s). Scrapes read the published values and
/// never wait on the database. A failed refresh sets the database down, counts the error, keeps
/// the last values and logs the error only when it differs from the previous one.
/// </summary>
public sealed partial class DatabaseStateRefresher : IAsyncDisposable
{
    private readonly string _database;
    private readonly DatabaseEndpoint _endpoint;
    private readonly ScraperOptions _options;
    private readonly ScraperMetrics _metrics;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly NpgsqlDataSource _dataSource;

    private QueueJobSchema? _schema;
    private string? _lastError;
    private bool _warnedAboutVisibility;
    private TimeSpan _period;

    /// <summary>Creates the refresher; it connects on the first refresh.</summary>
    public DatabaseStateRefresher(
        string database,
        DatabaseEndpoint endpoint,
        ScraperOptions options,
        ScraperMetrics metrics,
        TimeProvider clock,
        ILogger<DatabaseStateRefresher> logger)
    {
        ArgumentException.ThrowIfNullOrEmpty(database);
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentNullException.ThrowIfNull(logger);
        _database = database;
        _endpoint = endpoint.WithDatabase(database);
        _options = options;
        _metrics = metrics;
        _clock = clock;
        _logger = logger;
        _dataSource = NpgsqlDataSource.Create(ScrapeConnections.For(endpoint, database, options.StatementTimeout));
        _period = options.RefreshInterval;
    }

    /// <summary>The schema detected at the last successful connection, or null.</summary>
    public QueueJobSchema? Schema => _schema;

    /// <summary>
    /// Refreshes now and then every <see cref="ScraperOptions.RefreshInterval"/> until cancelled,
    /// less often while refreshes are slow (<see cref="RefreshPacing"/>).
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await PeriodicRefresh.RunAsync(_options.RefreshInterval, _clock, RefreshAsync, cancellationToken, OnPeriod);
    }

    /// <summary>Publishes the period chosen after a refresh, and logs when it leaves or returns to the interval.</summary>
    internal void OnPeriod(TimeSpan period)
    {
        _metrics.PublishRefreshPeriod(_database, period);
        var interval = _options.RefreshInterval;
        if (period > interval && _period == interval)
        {
            LogBackingOff(_logger, _database, period.TotalSeconds, interval.TotalSeconds);
        }
        else if (period == interval && _period > interval)
        {
            LogBackToInterval(_logger, _database, interval.TotalSeconds);
        }

        _period = period;
    }

    /// <summary>One refresh; returns whether the database could be read.</summary>
    public async Task<bool> RefreshAsync(CancellationToken cancellationToken)
    {
        var started = _clock.GetTimestamp();
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            var schema = _schema ??= await DetectAsync(connection, cancellationToken);
            var activeStates = ActiveStatesQuery.StatesOf(schema);
            var counts = await ActiveStatesQuery.ReadAsync(connection, activeStates, _clock.GetUtcNow(), schema.HasMonitoringIndex, cancellationToken);
            // Ages are measured to the moment the answer arrived: a clock read before a slow query
            // would make every age look younger by the query's duration.
            var readAt = _clock.GetUtcNow();
            var (sessions, allVisible) = await RunnerSessionsQuery.ReadAsync(connection, cancellationToken);
            WarnOnceAboutVisibility(allVisible);

            _metrics.PublishActive(_database, activeStates, counts, readAt);
            _metrics.PublishRunnerSessions(_database, sessions);
            _metrics.MarkUp(_database, _clock.GetElapsedTime(started), _clock.GetUtcNow());
            ReportError(null);
            return true;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // The next refresh starts from scratch: fresh connections, schema detected again
            // (the database may have been restored from another version).
            _schema = null;
            _dataSource.Clear();
            var reason = DatabaseErrorDescriber.Describe(ex, _endpoint);
            _metrics.MarkDown(_database, _clock.GetElapsedTime(started), reason);
            ReportError(reason);
            return false;
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    private async Task<QueueJobSchema> DetectAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var schema = await SchemaDetector.DetectAsync(connection, cancellationToken);
        LogSchema(_logger, _database, schema.Shape.ToString());
        foreach (var line in schema.Unavailable)
        {
            LogUnavailable(_logger, _database, line);
        }

        if (schema.HasMonitoringIndex)
        {
            LogMonitoringIndex(_logger, _database, SchemaInstaller.MonitoringIndexName);
        }
        else
        {
            LogNoMonitoringIndex(_logger, _database, SchemaInstaller.MonitoringIndexName);
        }

        _metrics.PublishMonitoringIndex(_database, schema.HasMonitoringIndex);
        return schema;
    }

    private void WarnOnceAboutVisibility(bool allVisible)
    {
        if (!allVisible && !_warnedAboutVisibility)
        {
            _warnedAboutVisibility = true;
            LogSessionsNotVisible(_logger, _database);
        }
    }

    private void ReportError(string? error)
    {
        if (error == _lastError)
        {
            return;
        }

        if (error is null)
        {
            LogRecovered(_logger, _database);
        }
        else
        {
            LogRefreshFailed(_logger, _database, error);
        }

        _lastError = error;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "database {Database}: queue_job table of shape {Shape}")]
    private static partial void LogSchema(ILogger logger, string database, string shape);

    [LoggerMessage(Level = LogLevel.Information, Message = "database {Database}: {Unavailable}")]
    private static partial void LogUnavailable(ILogger logger, string database, string unavailable);

    [LoggerMessage(Level = LogLevel.Information, Message = "database {Database}: index {Index} present: unfinished counts and ages are read by an index-only scan")]
    private static partial void LogMonitoringIndex(ILogger logger, string database, string index);

    [LoggerMessage(Level = LogLevel.Information, Message = "database {Database}: no index {Index}: unfinished counts and ages are read through the state index and the table's pages; with a large backlog, `queue-exporter schema install --monitoring-index` makes them an index-only scan")]
    private static partial void LogNoMonitoringIndex(ILogger logger, string database, string index);

    [LoggerMessage(Level = LogLevel.Warning, Message = "database {Database}: refreshes are slow; refreshing every {PeriodSeconds} s instead of every {IntervalSeconds} s (--interval) until they are fast again (queue_job_scrape_period_seconds)")]
    private static partial void LogBackingOff(ILogger logger, string database, double periodSeconds, double intervalSeconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "database {Database}: refreshes are fast again; refreshing every {IntervalSeconds} s")]
    private static partial void LogBackToInterval(ILogger logger, string database, double intervalSeconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "database {Database} cannot be read: {Error}")]
    private static partial void LogRefreshFailed(ILogger logger, string database, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "database {Database} can be read again")]
    private static partial void LogRecovered(ILogger logger, string database);

    [LoggerMessage(Level = LogLevel.Warning, Message = "database {Database}: this role cannot see other sessions' statements (grant pg_read_all_stats); queue_job_runner_sessions counts only holders of the runner leader lock")]
    private static partial void LogSessionsNotVisible(ILogger logger, string database);
}
