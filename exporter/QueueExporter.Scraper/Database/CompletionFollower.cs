using Microsoft.Extensions.Logging;
using Npgsql;
using QueueExporter.QueueJob.Connection;
using QueueExporter.QueueJob.Notifications;
using QueueExporter.QueueJob.Schema;
using QueueExporter.Scraper.Labels;

namespace QueueExporter.Scraper.Database;

/// <summary>
/// Counts completions, durations, waits and failures of one database without scanning done rows:
/// it follows the <c>queue_job</c> notifications and reads the changed rows by uuid, one query per
/// batch. NOTIFY is only the fast path: on every (re)connection and every
/// <see cref="ScraperOptions.ReconciliationInterval"/> it compares its memory with the unfinished
/// jobs (state index) and reads the jobs that left them unseen. A <see cref="CompletionTracker"/>
/// makes sure each completion is counted once.
/// </summary>
public sealed partial class CompletionFollower : IAsyncDisposable
{
    /// <summary>The <c>what</c> label of the follower's reconciliation in <c>queue_job_reconcile_last_success_timestamp_seconds</c>.</summary>
    public const string UnfinishedReconciliation = "unfinished";

    private const int ReadBatchSize = 1000;

    private readonly string _database;
    private readonly DatabaseEndpoint _endpoint;
    private readonly ScraperOptions _options;
    private readonly ScraperMetrics _metrics;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly ILoggerFactory _loggerFactory;
    private readonly NpgsqlDataSource _dataSource;
    private readonly CompletionTracker _tracker;
    private readonly SemaphoreSlim _gate = new(1, 1);

    private ChangedJobsQuery? _query;
    private string? _lastError;

    /// <summary>Creates the follower; completions are counted from now on.</summary>
    public CompletionFollower(
        string database,
        DatabaseEndpoint endpoint,
        ScraperOptions options,
        ScraperMetrics metrics,
        TimeProvider clock,
        ILoggerFactory loggerFactory)
    {
        ArgumentException.ThrowIfNullOrEmpty(database);
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _database = database;
        _endpoint = endpoint;
        _options = options;
        _metrics = metrics;
        _clock = clock;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<CompletionFollower>();
        // Its reads select by many uuids or four states: bitmap scans read each page once.
        _dataSource = NpgsqlDataSource.Create(ScrapeConnections.For(endpoint, database, options.StatementTimeout, bitmapScansOnly: true));
        _tracker = new CompletionTracker(
            clock.GetUtcNow(), new FirstSeenLabels(options.MaxExceptionLabels), functionLabels: new FirstSeenLabels(options.MaxFunctions));
    }

    /// <summary>Unfinished jobs whose state the follower remembers.</summary>
    public int TrackedJobs => _tracker.TrackedActiveJobs;

    /// <summary>Listens and reconciles until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var listener = new QueueJobListener(
            new QueueJobListenerOptions
            {
                ConnectionString = ScrapeConnections.For(_endpoint, _database, _options.StatementTimeout, ScrapeConnections.ListenerApplicationName),
                Name = _database,
                ApplicationName = ScrapeConnections.ListenerApplicationName,
            },
            _loggerFactory.CreateLogger<QueueJobListener>(),
            _clock);
        var listening = listener.RunAsync(cancellationToken);
        var reconciling = ReconcileLoopAsync(cancellationToken);
        try
        {
            await ConsumeAsync(listener.Events, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Normal stop.
        }

        await Task.WhenAll(listening, reconciling);
    }

    /// <summary>
    /// Compares the remembered unfinished jobs with the table and counts those that completed
    /// unseen. Returns false when the database could not be read.
    /// </summary>
    public Task<bool> ReconcileAsync(CancellationToken cancellationToken) =>
        GuardAsync(
            async connection =>
            {
                var unfinished = await ChangedJobsQuery.ReadUnfinishedAsync(connection, cancellationToken);
                // A read that failed part-way changed nothing: the tracker keeps its last picture.
                var vanished = _tracker.Resynchronise(unfinished);
                await ReadAndCountAsync(connection, vanished, cancellationToken);
                _metrics.MarkReconciled(_database, UnfinishedReconciliation, _clock.GetUtcNow());
            },
            cancellationToken);

    /// <summary>Reads the rows of changed uuids and counts their completions.</summary>
    public Task<bool> HandleChangedAsync(IReadOnlyCollection<string> uuids, CancellationToken cancellationToken) =>
        GuardAsync(connection => ReadAndCountAsync(connection, uuids, cancellationToken), cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _dataSource.DisposeAsync();
        _gate.Dispose();
    }

    private async Task ConsumeAsync(System.Threading.Channels.ChannelReader<ListenerEvent> events, CancellationToken cancellationToken)
    {
        while (await events.WaitToReadAsync(cancellationToken))
        {
            switch (events.TryRead(out var listenerEvent) ? listenerEvent : null)
            {
                case ListenerConnected:
                    await ReconcileAsync(cancellationToken);
                    break;
                case NotificationBatch batch:
                    // Consecutive batches already queued become one read.
                    await HandleChangedAsync(batch.MergeQueued(events, ReadBatchSize, out _), cancellationToken);
                    break;
                default:
                    break;
            }
        }
    }

    private async Task ReconcileLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.ReconciliationInterval, _clock);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                await ReconcileAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Normal stop.
        }
    }

    private async Task ReadAndCountAsync(NpgsqlConnection connection, IReadOnlyCollection<string> uuids, CancellationToken cancellationToken)
    {
        var query = _query!;
        foreach (var chunk in uuids.Chunk(ReadBatchSize))
        {
            var rows = await query.ReadByUuidAsync(connection, chunk, cancellationToken);
            var changes = _tracker.ObserveChanges(chunk, rows);
            _metrics.RecordCompletions(_database, changes.Completions, _clock.GetUtcNow());
            _metrics.RecordExits(_database, changes.Exits, _clock.GetUtcNow());
            _metrics.RecordRetries(_database, changes.Retries, _clock.GetUtcNow());
        }
    }

    private async Task<bool> GuardAsync(Func<NpgsqlConnection, Task> work, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            _query ??= new ChangedJobsQuery(await SchemaDetector.DetectAsync(connection, cancellationToken));
            await work(connection);
            ReportError(null);
            return true;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            _query = null;
            _dataSource.Clear();
            ReportError(DatabaseErrorDescriber.Describe(ex, _endpoint.WithDatabase(_database)));
            return false;
        }
        finally
        {
            _gate.Release();
        }
    }

    private void ReportError(string? error)
    {
        if (error != _lastError && error is not null)
        {
            LogFollowFailed(_logger, _database, error);
        }

        _lastError = error;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "database {Database}: completions cannot be read ({Error}); they will be counted at the next reconciliation")]
    private static partial void LogFollowFailed(ILogger logger, string database, string error);
}
