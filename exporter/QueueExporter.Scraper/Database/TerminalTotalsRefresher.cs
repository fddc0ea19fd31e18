using Microsoft.Extensions.Logging;
using Npgsql;
using QueueExporter.QueueJob.Connection;
using QueueExporter.QueueJob.Schema;

namespace QueueExporter.Scraper.Database;

/// <summary>
/// Reads one database's done, cancelled and failed totals on a loop of their own (every
/// <see cref="ScraperOptions.TerminalInterval"/>, first at start), with sessions of their own and
/// their own statement timeout (<see cref="ScraperOptions.TerminalTimeout"/>): however slow a
/// count is, it never delays or fails the frequent refresh.
/// </summary>
/// <remarks>
/// Each pass first reads the planner's statistics (catalog only: constant cost) and publishes the
/// estimate of each terminal state, per database and, split over the channel column's statistics,
/// per channel in <c>queue_job_jobs</c> (unless an exact count is already there), so done and
/// cancelled are present from the first pass. A state estimated at no more than
/// <see cref="ScraperOptions.TerminalExactLimit"/> rows (or never analysed) is then counted
/// exactly per channel; one estimated above it is left to the estimate, since its exact count
/// would cost as much as the rows it counts. A count that times out keeps its last value, and the
/// completion follower keeps adding what it sees in between.
/// </remarks>
public sealed partial class TerminalTotalsRefresher : IAsyncDisposable
{
    private readonly string _database;
    private readonly DatabaseEndpoint _endpoint;
    private readonly ScraperOptions _options;
    private readonly ScraperMetrics _metrics;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly NpgsqlDataSource _dataSource;
    private readonly HashSet<string> _timedOut = new(StringComparer.Ordinal);

    private QueueJobSchema? _schema;
    private string? _lastError;

    /// <summary>Creates the refresher; it connects on the first pass.</summary>
    public TerminalTotalsRefresher(
        string database,
        DatabaseEndpoint endpoint,
        ScraperOptions options,
        ScraperMetrics metrics,
        TimeProvider clock,
        ILogger<TerminalTotalsRefresher> logger)
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
        _dataSource = NpgsqlDataSource.Create(ScrapeConnections.For(endpoint, database, options.TerminalTimeout));
    }

    /// <summary>Reads the totals now and then every <see cref="ScraperOptions.TerminalInterval"/> until cancelled; does nothing when it is zero.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (_options.TerminalInterval == TimeSpan.Zero)
        {
            return;
        }

        await PeriodicRefresh.RunAsync(_options.TerminalInterval, _clock, RefreshAsync, cancellationToken);
    }

    /// <summary>One pass; returns whether the database could be read (a count that timed out still counts as read).</summary>
    public async Task<bool> RefreshAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            var schema = _schema ??= await SchemaDetector.DetectAsync(connection, cancellationToken);
            var statistics = await TerminalTotalsQuery.ReadStatisticsAsync(connection, cancellationToken);
            var channels = statistics is null ? null : await TerminalTotalsQuery.ReadChannelStatisticsAsync(connection, cancellationToken);
            var states = TerminalTotalsQuery.StatesOf(schema);
            var toCount = new List<string>();
            // Every estimate first (catalog only, milliseconds), so that done and cancelled are in
            // queue_job_jobs from the first pass however long the exact counts then take.
            foreach (var state in states)
            {
                var estimate = statistics?.EstimateRows(state);
                _metrics.PublishEstimate(_database, state, estimate);
                var exactWanted = _options.TerminalExactLimit > 0 && !(estimate > _options.TerminalExactLimit);
                if (exactWanted)
                {
                    toCount.Add(state);
                }

                if (exactWanted && _metrics.IsExact(_database, state) == true)
                {
                    continue; // The last exact count plus the completions since beats an estimate.
                }

                if (estimate is { } rows && channels is not null)
                {
                    var baseline = _metrics.BeginTerminalCount(_database, state);
                    _metrics.PublishTerminal(_database, baseline, channels.Split(state, rows), _clock.GetUtcNow(), exact: false);
                }
                else if (!exactWanted)
                {
                    _metrics.ForgetTerminal(_database, state, _clock.GetUtcNow());
                }
            }

            foreach (var state in toCount)
            {
                await CountAsync(connection, state, cancellationToken);
            }

            ReportError(null);
            return true;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            _schema = null;
            _dataSource.Clear();
            ReportError(DatabaseErrorDescriber.Describe(ex, _endpoint));
            return false;
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    private async Task CountAsync(NpgsqlConnection connection, string state, CancellationToken cancellationToken)
    {
        var baseline = _metrics.BeginTerminalCount(_database, state);
        try
        {
            var counts = await TerminalTotalsQuery.CountAsync(connection, state, cancellationToken);
            _metrics.PublishTerminal(_database, baseline, counts, _clock.GetUtcNow());
            _metrics.MarkReconciled(_database, state, _clock.GetUtcNow());
            _timedOut.Remove(state);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.QueryCanceled)
        {
            if (_timedOut.Add(state))
            {
                LogCountTimeout(_logger, _database, state, _options.TerminalTimeout.TotalSeconds);
            }
        }
    }

    private void ReportError(string? error)
    {
        if (error != _lastError && error is not null)
        {
            LogTotalsFailed(_logger, _database, error);
        }

        _lastError = error;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "database {Database}: counting {State} jobs took longer than --terminal-timeout ({TimeoutSeconds} s); its gauges keep the last count plus the completions seen since (raise --terminal-timeout, or lower --terminal-exact-limit to rely on the estimate)")]
    private static partial void LogCountTimeout(ILogger logger, string database, string state, double timeoutSeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "database {Database}: done/cancelled/failed totals cannot be read ({Error}); they keep their last values")]
    private static partial void LogTotalsFailed(ILogger logger, string database, string error);
}
