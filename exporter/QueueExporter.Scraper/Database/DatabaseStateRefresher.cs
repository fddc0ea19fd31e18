using Microsoft.Extensions.Logging;
using Npgsql;
using QueueExporter.QueueJob.Connection;
using QueueExporter.QueueJob.Schema;

namespace QueueExporter.Scraper.Database;

/// <summary>
/// Refreshes one database's gauges on its own loop: active-state counts and ages every refresh,
/// done/cancelled totals on the slower terminal cadence, runner sessions. Scrapes read the
/// published values and never wait on the database. A failed refresh sets the database down,
/// counts the error and logs it only when it differs from the previous one.
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
    private IReadOnlyList<JobStateCount>? _terminalTotals;
    private DateTimeOffset _terminalDueAt = DateTimeOffset.MinValue;
    private string? _lastError;
    private string? _lastTerminalError;
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
        using var timer = new PeriodicTimer(_options.RefreshInterval, _clock);
        try
        {
            do
            {
                await RefreshAsync(cancellationToken);
            }
            while (await timer.WaitForNextTickAsync(cancellationToken));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Normal stop.
        }
    }

    /// <summary>One refresh; returns whether the database could be read.</summary>
    public async Task<bool> RefreshAsync(CancellationToken cancellationToken)
    {
        var started = _clock.GetTimestamp();
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            var schema = _schema ??= await DetectAsync(connection, cancellationToken);
            var now = _clock.GetUtcNow();
            var activeStates = ActiveStatesQuery.StatesOf(schema);
            var counts = await ActiveStatesQuery.ReadAsync(connection, activeStates, now, cancellationToken);
            await RefreshTerminalTotalsAsync(connection, schema, now, cancellationToken);
            var (sessions, allVisible) = await RunnerSessionsQuery.ReadAsync(connection, cancellationToken);
            WarnOnceAboutVisibility(allVisible);

            IReadOnlyList<string> states = _terminalTotals is null
                ? activeStates
                : [.. activeStates, .. TerminalTotalsQuery.StatesOf(schema)];
            _metrics.PublishJobs(_database, states, [.. counts, .. _terminalTotals ?? []], now);
            _metrics.PublishRunnerSessions(_database, sessions);
            _metrics.MarkUp(_database, _clock.GetElapsedTime(started));
            ReportError(null);
            return true;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // The next refresh starts from scratch: fresh connections, schema detected again
            // (the database may have been restored from another version).
            _schema = null;
            _dataSource.Clear();
            _metrics.MarkDown(_database, _clock.GetElapsedTime(started));
            ReportError(DatabaseErrorDescriber.Describe(ex, _endpoint));
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

    private async Task RefreshTerminalTotalsAsync(NpgsqlConnection connection, QueueJobSchema schema, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (_options.TerminalInterval == TimeSpan.Zero || now < _terminalDueAt)
        {
            return;
        }

        // Due again one interval later whether or not it worked: a count that timed out on a
        // huge table must not be retried on every refresh.
        _terminalDueAt = now + _options.TerminalInterval;
        try
        {
            _terminalTotals = await TerminalTotalsQuery.ReadAsync(connection, TerminalTotalsQuery.StatesOf(schema), cancellationToken);
            _lastTerminalError = null;
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.QueryCanceled)
        {
            if (_lastTerminalError is null)
            {
                LogTerminalTimeout(_logger, _database, _options.StatementTimeout.TotalSeconds);
            }

            _lastTerminalError = ex.SqlState;
        }
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "database {Database}: counting done/cancelled jobs took longer than the statement timeout ({TimeoutSeconds} s); their gauges keep the last value (raise --statement-timeout or --terminal-interval, or set it to 0)")]
    private static partial void LogTerminalTimeout(ILogger logger, string database, double timeoutSeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "database {Database}: this role cannot see other sessions' statements (grant pg_read_all_stats); queue_job_runner_sessions counts only holders of the runner leader lock")]
    private static partial void LogSessionsNotVisible(ILogger logger, string database);
}
