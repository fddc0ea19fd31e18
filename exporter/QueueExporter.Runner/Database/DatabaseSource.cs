using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Npgsql;
using QueueExporter.QueueJob.Connection;
using QueueExporter.QueueJob.Notifications;
using QueueExporter.QueueJob.Schema;
using QueueExporter.Runner.Leadership;
using QueueExporter.Runner.Rescue;

namespace QueueExporter.Runner.Database;

/// <summary>
/// Everything the runner does with one database: the listening connection (which also holds the
/// leader lock, so losing the connection loses leadership), the full load after every (re)connect,
/// one re-read query per notification batch, the jittered safety poll and the dead-job rescue.
/// It only reads and writes rows and posts facts; the runner loop decides.
/// </summary>
internal sealed class DatabaseSource : IAsyncDisposable
{
    private readonly string _database;
    private readonly DatabaseEndpoint _endpoint;
    private readonly RunnerOptions _options;
    private readonly ChannelWriter<RunnerSignal> _signals;
    private readonly RunnerMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TaskCompletionSource _firstAttempt = new(TaskCreationOptions.RunContinuationsAsynchronously);
    // Bounds one re-read statement's parameter array and result; more queued uuids wait for the next one.
    private const int MaxUuidsPerReread = 10_000;

    private volatile bool _isLeader;
    private volatile bool _reloadRequested;
    private QueueJobSchema? _schema;
    // One per database: it remembers which jobs earlier passes saw dead (a job is requeued only after a whole grace).
    private readonly DeadJobRescuer _rescuer;

    public DatabaseSource(string database, RunnerOptions options, ChannelWriter<RunnerSignal> signals, RunnerMetrics metrics, TimeProvider time, ILogger logger)
    {
        _database = database;
        _endpoint = options.Endpoint.WithDatabase(database);
        _options = options;
        _signals = signals;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _rescuer = new DeadJobRescuer(time, options.DeadJobGrace, options.RescueTimeout, DeadJobRescuer.DefaultBatchLimit);
        // The runner's commands never change session state, so returning a connection to the pool needs
        // no DISCARD ALL: that reset would otherwise count as one more transaction per command.
        // The runner's own writes (enqueued marks, rescues, requeues) need no disk flush of their own: if one
        // is lost in a crash the job is simply pending again or rescued, and the worker's durable "started"
        // commit flushes the WAL before it anyway. This takes a flush off every dispatch.
        DataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(_endpoint.ToConnectionString(options.ApplicationName))
        {
            NoResetOnClose = true,
            Options = "-c synchronous_commit=off",
        }.ConnectionString);
        _metrics.Leader.WithLabels(database).Set(0);
    }

    /// <summary>Pooled connections for loads, re-reads, dispatch updates and rescue.</summary>
    public NpgsqlDataSource DataSource { get; }

    public bool IsLeader => _isLeader;

    /// <summary>Completes once the first attempt at the leader lock has been made (databases are locked in sorted order).</summary>
    public Task FirstAttempt => _firstAttempt.Task;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var listener = new QueueJobListener(
            new QueueJobListenerOptions
            {
                ConnectionString = _endpoint.ToConnectionString(_options.ApplicationName, pooling: false),
                Name = _database,
                ApplicationName = _options.ApplicationName,
                StandbyRetryInterval = _options.StandbyRetryInterval,
                PrepareConnectionAsync = PrepareAsync,
                ConnectionClosed = OnConnectionClosed,
            },
            clock: _time);
        var listening = listener.RunAsync(cancellationToken);
        var maintenance = MaintainAsync(cancellationToken);
        try
        {
            await foreach (var ev in listener.Events.ReadAllAsync(cancellationToken))
            {
                await HandleAsync(ev, listener.Events, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }

        _firstAttempt.TrySetResult();
        await listening;
        await maintenance;
    }

    public ValueTask DisposeAsync() => DataSource.DisposeAsync();

    /// <summary>Asks for a full reload at the next maintenance tick (after a failed re-read or dispatch the model may be stale).</summary>
    public void RequestReload() => _reloadRequested = true;

    private async ValueTask<bool> PrepareAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        try
        {
            if (!await LeaderLock.HasNotifyTriggerAsync(connection, cancellationToken))
            {
                RunnerLog.TriggerMissing(_logger, _database);
                return false;
            }

            if (!await LeaderLock.TryAcquireAsync(connection, cancellationToken))
            {
                RunnerLog.Standby(_logger, _database);
                return false;
            }

            _isLeader = true;
            _metrics.Leader.WithLabels(_database).Set(1);
            return true;
        }
        finally
        {
            _firstAttempt.TrySetResult();
        }
    }

    private void OnConnectionClosed()
    {
        if (_isLeader)
        {
            _isLeader = false;
            _metrics.Leader.WithLabels(_database).Set(0);
            _signals.TryWrite(new DatabaseReleased(_database));
        }

        _firstAttempt.TrySetResult();
    }

    private async Task HandleAsync(ListenerEvent ev, ChannelReader<ListenerEvent> pending, CancellationToken cancellationToken)
    {
        switch (ev)
        {
            case ListenerConnected connected:
                if (connected.IsReconnect)
                {
                    _metrics.Reconnects.WithLabels(_database).Inc();
                }

                await LoadAsync(cancellationToken);
                RunnerLog.ReadyForDb(_logger, _database);
                break;
            case NotificationBatch batch:
                var changed = batch.MergeQueued(pending, MaxUuidsPerReread, out var notifications);
                _metrics.Notifications.WithLabels(_database).Inc(notifications);
                if (_isLeader)
                {
                    await RereadAsync(changed, cancellationToken);
                }

                break;
            case ListenerDisconnected disconnected:
                RunnerLog.DatabaseError(_logger, _database, disconnected.Reason);
                break;
        }
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        try
        {
            _reloadRequested = false;
            var facts = await BrokenConnectionRetry.RunAsync(
                DataSource,
                async connection =>
                {
                    _schema ??= await SchemaDetector.DetectAsync(connection, cancellationToken);
                    return await JobRowReader.LoadActiveAsync(connection, _database, cancellationToken);
                },
                cancellationToken);
            _signals.TryWrite(new DatabaseLoaded(_database, facts));
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            // Retried at the next maintenance tick (not only at the safety poll): the pool may have held
            // several connections killed by a server restart.
            RunnerLog.DatabaseError(_logger, _database, "loading jobs failed: " + DatabaseErrorDescriber.Describe(ex, _endpoint));
            RequestReload();
        }
    }


    private async Task RereadAsync(HashSet<string> distinct, CancellationToken cancellationToken)
    {
        try
        {
            var facts = await BrokenConnectionRetry.RunAsync(
                DataSource, connection => JobRowReader.ReadByUuidsAsync(connection, _database, distinct, cancellationToken), cancellationToken);
            foreach (var fact in facts)
            {
                distinct.Remove(fact.Uuid);
            }

            _signals.TryWrite(new JobsChanged(_database, facts, distinct));
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            RunnerLog.DatabaseError(_logger, _database, "re-reading changed jobs failed: " + DatabaseErrorDescriber.Describe(ex, _endpoint));
            RequestReload();
        }
    }

    private async Task MaintainAsync(CancellationToken cancellationToken)
    {
        var nextPoll = _time.GetUtcNow() + Jittered(_options.SafetyPollInterval);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(_options.RescueInterval, _time, cancellationToken);
                if (!_isLeader)
                {
                    continue;
                }

                if (_schema is null || _reloadRequested)
                {
                    // A load or re-read failed: keep trying, the model of this database is stale until it works.
                    await LoadAsync(cancellationToken);
                    continue;
                }

                await RescueAsync(cancellationToken);
                if (_time.GetUtcNow() >= nextPoll)
                {
                    nextPoll = _time.GetUtcNow() + Jittered(_options.SafetyPollInterval);
                    await LoadAsync(cancellationToken);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task RescueAsync(CancellationToken cancellationToken)
    {
        try
        {
            var rescued = await BrokenConnectionRetry.RunAsync(
                DataSource,
                connection => _rescuer.RescueAsync(connection, _schema!, lease: null, cancellationToken),
                cancellationToken);
            foreach (var (uuid, state) in rescued)
            {
                if (state == JobStates.Failed)
                {
                    RunnerLog.FailedDeadJob(_logger, uuid, _database);
                    _metrics.RescuedJobs.WithLabels(_database, "retries_exhausted").Inc();
                }
                else
                {
                    RunnerLog.RequeuedDeadJob(_logger, uuid);
                    _metrics.RescuedJobs.WithLabels(_database, "requeued").Inc();
                }
            }
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            RunnerLog.DatabaseError(_logger, _database, "dead job rescue failed: " + DatabaseErrorDescriber.Describe(ex, _endpoint));
        }
    }

    private static TimeSpan Jittered(TimeSpan interval) => interval * (0.8 + (Random.Shared.NextDouble() * 0.4));
}
