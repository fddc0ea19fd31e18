using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Npgsql;
using QueueExporter.QueueJob.Connection;
using QueueExporter.QueueJob.Notifications;
using QueueExporter.QueueJob.Schema;
using QueueExporter.Runner.Dispatch;
using QueueExporter.Runner.Leadership;
using QueueExporter.Runner.Servers;

namespace QueueExporter.Runner.Database;

/// <summary>
/// Everything the runner does with one database, owned by one task. The listening session holds the
/// leader lock: taking it starts a <see cref="Lease"/> with a new epoch (<see cref="LeaseStarted"/>),
/// losing the session ends it (<see cref="DatabaseReleased"/>), both told to the runner loop by the
/// listener's task in the order they happen. Everything else arrives in one inbox as a request
/// (notifications, maintenance ticks, the dispatcher's re-reads and reloads) and is served in order by
/// one <see cref="DatabaseRequestConsumer"/>, which alone reads the table and posts facts stamped with
/// the lease they were read under; a read that outlives its lease is dropped by the loop. Nothing can
/// post a stale load after a fresher re-read, because nothing else reads.
/// The actor is supervised: any exception ends the session (closing the connection releases the lock,
/// so a standby can lead), is logged with its stack once per distinct failure, shows in
/// <see cref="Health"/>, and the session restarts with capped, jittered backoff.
/// </summary>
internal sealed class DatabaseActor : IDispatchTarget, IAsyncDisposable
{
    private readonly string _database;
    private readonly DatabaseAddress _address;
    private readonly DatabaseEndpoint _endpoint;
    private readonly RunnerOptions _options;
    private readonly ChannelWriter<RunnerSignal> _loop;
    private readonly RunnerMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<DatabaseRequest> _inbox = Channel.CreateUnbounded<DatabaseRequest>(new UnboundedChannelOptions { SingleReader = true });
    private readonly DatabaseRequestConsumer _consumer;
    private readonly TrackedRunnerStore _store;
    private readonly TaskCompletionSource _firstAttempt = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _firstLease = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Lease? _lease;
    private DatabaseHealth _health;
    private CancellationTokenSource? _session;
    private string? _lastFailure;

    /// <param name="address">Which database, on which server (<see cref="DatabaseAddress.Key"/> names it to the loop).</param>
    /// <param name="server">Where it lives, and the workers its jobs go to.</param>
    /// <param name="worker">The runjob client of those workers.</param>
    /// <param name="options">The runner's settings.</param>
    /// <param name="store">Its SQL.</param>
    /// <param name="loop">Where facts and leases go.</param>
    /// <param name="metrics">The runner's metrics.</param>
    /// <param name="time">The clock.</param>
    /// <param name="logger">Its log.</param>
    public DatabaseActor(DatabaseAddress address, RunnerServer server, WorkerClient worker, RunnerOptions options, IRunnerStore store, ChannelWriter<RunnerSignal> loop, RunnerMetrics metrics, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(server);
        _address = address;
        _database = address.Key;
        _endpoint = server.Endpoint.WithDatabase(address.Name);
        Worker = worker ?? throw new ArgumentNullException(nameof(worker));
        _options = options;
        _store = new TrackedRunnerStore(store);
        _loop = loop;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _health = new DatabaseHealth(DatabaseStatus.Starting, "connecting", time.GetUtcNow());
        _consumer = new DatabaseRequestConsumer(address, _endpoint, _store, _inbox, loop, metrics, time, logger);
        _metrics.Leader.WithLabels(address.Server, address.Name).Set(0);
        _metrics.DatabaseUp.WithLabels(address.Server, address.Name).Set(0);
    }

    public string Database => _database;

    public DatabaseAddress Address => _address;

    public WorkerClient Worker { get; }

    public IRunnerStore Store => _store;

    public Lease? CurrentLease => Volatile.Read(ref _lease);

    public EnqueueEchoes Echoes => _consumer.Echoes;

    /// <summary>Where the database stands now.</summary>
    public DatabaseHealth Health => Volatile.Read(ref _health);

    /// <summary>Completes once the first attempt at the leader lock has been made (databases are locked in sorted order).</summary>
    public Task FirstAttempt => _firstAttempt.Task;

    /// <summary>
    /// Whether the first session opens its pooled connections beside the listening session's connect, diagnosis and
    /// lock, so that the load and the first dispatch, if they come, start on open connections. Set for one database
    /// of a starting runner.
    /// </summary>
    public bool WarmsUpAtStart { get; set; }

    /// <summary>Completes when this actor first leads the database.</summary>
    public Task FirstLease => _firstLease.Task;

    public void RequestReread(IReadOnlyCollection<string> uuids) => _inbox.Writer.TryWrite(new RereadRequest(uuids));

    public void RequestReload() => _inbox.Writer.TryWrite(ResyncRequest.Now);

    public void ReportLeaseLost(Lease lease)
    {
        if (CurrentLease == lease)
        {
            RunnerLog.LeaseLost(_logger, _database);
            // Ends the listening session: the lease ends the usual way (DatabaseReleased), then a new session tries again.
            try
            {
                Volatile.Read(ref _session)?.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // That session has ended already, and its lease with it.
            }
        }
    }

    /// <summary>
    /// The first half of an orderly hand-over to another replica: ends the lease here (the loop forgets the
    /// database and dispatches nothing more from it), then waits, at most <paramref name="patience"/>, for
    /// the fenced writes already in flight to finish. The caller then stops the actor, which closes the
    /// session and so releases the lock for the next leader. Returns whether this runner was leading.
    /// </summary>
    public async Task<bool> HandOverAsync(TimeSpan patience, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _lease, null) is not { } lease)
        {
            return false;
        }

        _metrics.Leader.WithLabels(_address.Server, _address.Name).Set(0);
        _metrics.DatabasesLed.Dec();
        _loop.TryWrite(new DatabaseReleased(_database, lease.Epoch));
        RunnerLog.HandingOver(_logger, _database, _store.WritesInFlight);
        await _store.WhenIdleAsync().WaitAsync(patience, _time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        return true;
    }

    /// <summary>Runs until <paramref name="stop"/> is cancelled; never throws (failures restart the session).</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        var backoff = new ReconnectBackoff(TimeSpan.FromSeconds(1), _options.MaxRestartDelay);
        var warmUp = WarmsUpAtStart;
        while (!stop.IsCancellationRequested)
        {
            using var session = CancellationTokenSource.CreateLinkedTokenSource(stop);
            Volatile.Write(ref _session, session);
            try
            {
                var warmThisSession = warmUp;
                warmUp = false;
                await RunSessionAsync(session, warmThisSession);
            }
            catch (OperationCanceledException) when (session.IsCancellationRequested)
            {
                // Stopping, or a lease found lost: a new session starts at once.
            }
#pragma warning disable CA1031 // Supervision: whatever ended the session is logged, shown in health, and retried.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                var delay = backoff.NextDelay();
                ReportFailure(ex, delay);
                try
                {
                    await Task.Delay(delay, _time, stop);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }

        _firstAttempt.TrySetResult();
    }

    public ValueTask DisposeAsync() => _store.DisposeAsync();

    private async Task RunSessionAsync(CancellationTokenSource session, bool warmUp)
    {
        var token = session.Token;
        // On a thread of its own: the synchronous start of two connection opens must not run ahead of the listening session's.
        // Two connections: the load holds one for its whole read, the first dispatch takes the other.
        var warming = warmUp ? Task.Run(() => StoreWarmUp.TryAsync(_store, 2, _database, _logger, token), CancellationToken.None) : Task.CompletedTask;
        var listener = new QueueJobListener(
            new QueueJobListenerOptions
            {
                ConnectionString = LeaderSessionSettings.ConnectionString(_endpoint.ToConnectionString(_options.ApplicationName, pooling: false)),
                Name = _database,
                ApplicationName = _options.ApplicationName,
                StandbyRetryInterval = _options.StandbyRetryInterval,
                KeepAliveInterval = LeaderSessionSettings.ClientPingInterval,
                PrepareConnectionAsync = PrepareAsync,
                ConnectionClosed = OnConnectionClosed,
                OnEvent = OnListenerEvent,
            },
            clock: _time);
        var listening = listener.RunAsync(token);
        var maintenance = MaintainAsync(token);
        try
        {
            await _consumer.ConsumeAsync(listener, () => CurrentLease, token);
        }
        finally
        {
            // Whatever ended the consumer ends the session: the connection closes and the lock with it.
            await session.CancelAsync();
            await listening;
            await maintenance;
            await warming;
        }
    }

    private async ValueTask<bool> PrepareAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        try
        {
            await LeaderSessionSettings.ApplyAsync(connection, cancellationToken);
            if (await DatabaseDiagnosis.FindProblemAsync(connection, cancellationToken) is { } problem)
            {
                if (SetHealth(DatabaseStatus.Misconfigured, problem))
                {
                    if (problem.StartsWith("queue_job_notify", StringComparison.Ordinal))
                    {
                        RunnerLog.TriggerMissing(_logger, _database);
                    }
                    else
                    {
                        RunnerLog.DatabaseError(_logger, _database, problem);
                    }
                }

                return false;
            }

            if (await LeaderLock.TryAcquireAsync(connection, _database, cancellationToken) is not { } lease)
            {
                if (SetHealth(DatabaseStatus.Standby, ""))
                {
                    RunnerLog.Standby(_logger, _database);
                }

                return false;
            }

            // Writes that passed the previous leader's fence must be visible before this lease reads anything.
            await LeaseFence.WaitForInFlightWritesAsync(connection, cancellationToken);

            // The loop hears of the lease before any fact read under it (ListenerConnected comes after this).
            Volatile.Write(ref _lease, lease);
            _loop.TryWrite(new LeaseStarted(_database, lease.Epoch));
            _metrics.Leader.WithLabels(_address.Server, _address.Name).Set(1);
            _metrics.DatabasesLed.Inc();
            SetHealth(DatabaseStatus.Leading, "");
            _firstLease.TrySetResult();
            return true;
        }
        finally
        {
            _firstAttempt.TrySetResult();
        }
    }

    private void OnConnectionClosed()
    {
        if (Interlocked.Exchange(ref _lease, null) is { } lease)
        {
            _metrics.Leader.WithLabels(_address.Server, _address.Name).Set(0);
            _metrics.DatabasesLed.Dec();
            _loop.TryWrite(new DatabaseReleased(_database, lease.Epoch));
            SetHealth(DatabaseStatus.Disconnected, "the leader session closed; reconnecting");
        }

        _firstAttempt.TrySetResult();
    }

    /// <summary>
    /// Turns the listener's events into requests and health, on the listener's task as they happen: a notification
    /// goes straight into the inbox, without waking a task of its own on the way.
    /// </summary>
    private void OnListenerEvent(ListenerEvent ev)
    {
        switch (ev)
        {
            case ListenerConnected connected:
                if (connected.IsReconnect)
                {
                    _metrics.Reconnects.WithLabels(_address.Server, _address.Name).Inc();
                }

                _inbox.Writer.TryWrite(ResyncRequest.Now);
                break;
            case NotificationBatch batch:
                _metrics.Notifications.WithLabels(_address.Server, _address.Name).Inc(batch.Uuids.Count);
                _inbox.Writer.TryWrite(new RereadRequest(batch.Uuids, Notified: true));
                break;
            case ListenerDisconnected disconnected:
                if (SetHealth(DatabaseStatus.Disconnected, disconnected.Reason))
                {
                    RunnerLog.DatabaseError(_logger, _database, disconnected.Reason);
                }

                break;
        }
    }

    private async Task MaintainAsync(CancellationToken cancellationToken)
    {
        var nextPoll = _time.GetUtcNow() + Jittered(_options.SafetyPollInterval);
        try
        {
            while (true)
            {
                await Task.Delay(_options.RescueInterval, _time, cancellationToken);
                if (CurrentLease is null)
                {
                    continue;
                }

                if (_consumer.TryClaimRescue())
                {
                    _inbox.Writer.TryWrite(RescueRequest.Instance);
                }

                if (_time.GetUtcNow() >= nextPoll)
                {
                    nextPoll = _time.GetUtcNow() + Jittered(_options.SafetyPollInterval);
                    _inbox.Writer.TryWrite(ResyncRequest.Periodic);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private void ReportFailure(Exception ex, TimeSpan retryIn)
    {
        var description = $"{ex.GetType().Name}: {ex.Message}";
        _metrics.DatabaseRestarts.WithLabels(_address.Server, _address.Name).Inc();
        SetHealth(DatabaseStatus.Failed, description);
        if (description != _lastFailure)
        {
            _lastFailure = description;
            RunnerLog.DatabaseFailed(_logger, ex, _database, retryIn.TotalSeconds);
        }
        else
        {
            RunnerLog.DatabaseFailedAgain(_logger, _database, description, retryIn.TotalSeconds);
        }
    }

    /// <summary>Records a status; true when it changed (callers log only changes).</summary>
    private bool SetHealth(DatabaseStatus status, string reason)
    {
        var current = Health;
        if (current.Status == status && current.Reason == reason)
        {
            return false;
        }

        Volatile.Write(ref _health, new DatabaseHealth(status, reason, _time.GetUtcNow()));
        _metrics.DatabaseUp.WithLabels(_address.Server, _address.Name).Set(status is DatabaseStatus.Leading or DatabaseStatus.Standby ? 1 : 0);
        return true;
    }

    private static TimeSpan Jittered(TimeSpan interval) => interval * (0.8 + (Random.Shared.NextDouble() * 0.4));
}
