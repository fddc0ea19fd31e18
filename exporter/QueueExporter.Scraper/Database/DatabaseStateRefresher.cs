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
    }

    /// <summary>The schema detected at the last successful connection, or null.</summary>
    public QueueJobSchema? Schema => _schema;

    /// <summary>Refreshes now and then every <see cref="ScraperOptions.RefreshInterval"/> until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await PeriodicRefresh.RunAsync(_options.RefreshInterval, _clock, RefreshAsync, cancellationToken);
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
            var counts = await ActiveStatesQuery.ReadAsync(connection, activeStates, _clock.GetUtcNow(), cancellationToken);
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

    [LoggerMessage(Level = LogLevel.Error, Message = "database {Database} cannot be read: {Error}")]
    private static partial void LogRefreshFailed(ILogger logger, string database, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "database {Database} can be read again")]
    private static partial void LogRecovered(ILogger logger, string database);

    [LoggerMessage(Level = LogLevel.Warning, Message = "database {Database}: this role cannot see other sessions' statements (grant pg_read_all_stats); queue_job_runner_sessions counts only holders of the runner leader lock")]
    private static partial void LogSessionsNotVisible(ILogger logger, string database);
}
