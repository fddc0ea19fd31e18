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
/// The one reader of a database's table: serves the <see cref="DatabaseActor"/>'s inbox in order
/// (re-reads merged, reloads collapsed, the rescue), and posts what it reads to the runner loop
/// stamped with the lease it was read under. Database trouble (a broken connection, a timeout) is
/// logged and retried at the next rescue tick as a reload; anything else escapes to the actor's
/// supervision. Requests that arrive while the database is not led are dropped: a new lease always
/// starts with a full load. Where the workers write "started", the first notification after a job's own
/// enqueue echo waits up to <see cref="StartedReadDelay"/> (<see cref="DeferredRereads"/>,
/// <see cref="StartedReadDeferral"/>), so that it rides along with another read instead of costing one.
/// </summary>
internal sealed class DatabaseRequestConsumer(
    DatabaseAddress address,
    DatabaseEndpoint endpoint,
    IRunnerStore store,
    Channel<DatabaseRequest> inbox,
    ChannelWriter<RunnerSignal> loop,
    RunnerMetrics metrics,
    TimeProvider time,
    ILogger logger)
{
    /// <summary>
    /// How long the re-read of a job's "started" may wait. Under load another read comes within a millisecond or
    /// two and it rides along; a short job's "done" comes within it and both are read at once. A notification that
    /// was not a "started" after all (a cancel, a requeue by hand) reaches the loop at most this much later, while
    /// the loop still counts the job as running; a worker that writes no "started" turns the wait off.
    /// </summary>
    public static readonly TimeSpan StartedReadDelay = TimeSpan.FromMilliseconds(10);

    // A wake-up for deferred re-reads is set at most this often: a few timer wake-ups at most while jobs run.
    private static readonly TimeSpan WakeGranularity = TimeSpan.FromMilliseconds(2);

    // Bounds one re-read statement's parameter array and result; more queued uuids wait for the next one.
    private const int MaxUuidsPerReread = 10_000;

    // Distinct bad rows remembered so that each is counted and logged once; past this, no more lines.
    private const int MaxReportedRows = 10_000;

    // Slices of a load read but not yet applied by the loop: what the runner holds as rows at most, beside the scheduler.
    private const int MaxSlicesInFlight = 8;

    private readonly HashSet<(string Reason, long Id)> _reportedRows = [];
    private readonly SliceCredits _sliceCredits = new(MaxSlicesInFlight);
    private readonly DeferredRereads _deferred = new(StartedReadDelay, time.TimestampFrequency);
    private readonly StartedReadDeferral _deferral = new();
    private readonly List<string> _deferrable = [];
    private readonly HashSet<string> _waitedOut = new(StringComparer.Ordinal);
    private long _wakeAt;
    private int _rescueQueued;
    private bool _reloadPending;
    private long _readyEpoch;

    /// <summary>The notifications the dispatcher's enqueue UPDATEs will cause under the current lease: not re-read.</summary>
    public EnqueueEchoes Echoes { get; } = new();

    /// <summary>True when no rescue is queued yet (the caller then queues one): ticks never pile up behind a slow rescue.</summary>
    public bool TryClaimRescue() => Interlocked.Exchange(ref _rescueQueued, 1) == 0;

    /// <summary>Jobs whose re-read waits now, for tests and diagnostics (read it from the consumer's own turn or once it stopped).</summary>
    public int DeferredCount => _deferred.Count;

    public async Task ConsumeAsync(QueueJobListener listener, Func<Lease?> currentLease, CancellationToken cancellationToken)
    {
        var reader = inbox.Reader;
        using var wake = time.CreateTimer(_ => inbox.Writer.TryWrite(RereadRequest.DeferredDue), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _wakeAt = 0;
        while (await reader.WaitToReadAsync(cancellationToken))
        {
            while (reader.TryRead(out var request))
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (currentLease() is not { } lease)
                {
                    // Not leading: the loop holds nothing of this database, and a new lease starts with a full load.
                    if (request is RescueRequest)
                    {
                        Volatile.Write(ref _rescueQueued, 0);
                    }

                    _deferred.Clear();
                    continue;
                }

                Echoes.BeginLease(lease.Epoch);
                _deferred.BeginLease(lease.Epoch);
                _deferral.BeginLease(lease.Epoch);
                switch (request)
                {
                    case ResyncRequest resync:
                        var onSession = resync.OnSession;
                        while (reader.TryPeek(out var next) && next is ResyncRequest more && reader.TryRead(out _))
                        {
                            onSession &= more.OnSession;
                        }

                        await LoadAsync(lease, onSession ? listener : null, cancellationToken);
                        break;
                    case RereadRequest reread:
                        var uuids = Merge(reread, reader, lease.Epoch);
                        ServeDeferred(uuids);
                        if (uuids.Count > 0)
                        {
                            await RereadAsync(lease, uuids, cancellationToken);
                        }

                        break;
                    case RescueRequest:
                        Volatile.Write(ref _rescueQueued, 0);
                        if (_reloadPending)
                        {
                            await LoadAsync(lease, null, cancellationToken);
                        }

                        await RescueAsync(lease, listener, cancellationToken);
                        break;
                }
            }

            ArmWake(wake);
        }
    }

    /// <summary>
    /// Sorts this read's deferrable notifications (set aside by <see cref="ToReread"/>): they wait while the deferral
    /// is on, else are read now. Then whatever waits and is read now anyway (its own next notification came) waits
    /// no more; what waited its whole delay is read; and if a statement goes out, everything waiting rides along.
    /// </summary>
    private void ServeDeferred(HashSet<string> uuids)
    {
        var now = time.GetTimestamp();
        if (_deferral.IsOn)
        {
            // Deferred first, then covered: a job whose started and done came in one batch is read now, once.
            _deferred.Defer(_deferrable, now);
        }
        else
        {
            uuids.UnionWith(_deferrable);
        }

        _deferrable.Clear();
        _deferred.Covered(uuids);
        _waitedOut.Clear();
        _deferred.TakeDue(now, uuids, _waitedOut, MaxUuidsPerReread);
        if (uuids.Count > 0)
        {
            _deferred.RideAlong(uuids, MaxUuidsPerReread);
        }
    }

    /// <summary>Makes sure the inbox is woken when the earliest deferred re-read is due (a wake-up is an empty re-read request).</summary>
    private void ArmWake(ITimer wake)
    {
        if (_deferred.NextDue is not { } due)
        {
            return;
        }

        var now = time.GetTimestamp();
        if (_wakeAt > now)
        {
            // A wake-up is set already, and due times only grow: it comes at most one granularity after this one.
            return;
        }

        var wait = TimeSpan.FromSeconds(Math.Max(0, due - now) / (double)time.TimestampFrequency);
        if (wait < WakeGranularity)
        {
            wait = WakeGranularity;
        }

        _wakeAt = now + (long)(wait.TotalSeconds * time.TimestampFrequency);
        wake.Change(wait, Timeout.InfiniteTimeSpan);
    }

    private HashSet<string> Merge(RereadRequest first, ChannelReader<DatabaseRequest> reader, long epoch)
    {
        var uuids = new HashSet<string>(ToReread(first, epoch), StringComparer.Ordinal);
        while (uuids.Count < MaxUuidsPerReread && reader.TryPeek(out var next) && next is RereadRequest more && reader.TryRead(out _))
        {
            uuids.UnionWith(ToReread(more, epoch));
        }

        return uuids;
    }

    // Only notifications can be echoes of our own enqueue UPDATE; the dispatcher's own requests are always read.
    private IReadOnlyCollection<string> ToReread(RereadRequest request, long epoch)
    {
        if (!request.Notified)
        {
            return request.Uuids;
        }

        var deferrable = _deferrable.Count;
        var left = Echoes.WithoutEchoes(epoch, request.Uuids, _deferrable);
        var echoes = request.Uuids.Count - left.Count - (_deferrable.Count - deferrable);
        if (echoes > 0)
        {
            metrics.NotificationsSkipped.WithLabels(address.Server, address.Name).Inc(echoes);
        }

        return left;
    }

    private async Task LoadAsync(Lease lease, QueueJobListener? onSession, CancellationToken cancellationToken)
    {
        var sink = new LoadSink(this, lease.Epoch);
        try
        {
            _reloadPending = false;
            if (onSession is null)
            {
                // The load holds one pooled connection for its whole read; the first dispatch, from the first slice, needs a second.
                var warming = StoreWarmUp.TryAsync(store, 1, Database, logger, cancellationToken);
                try
                {
                    await store.LoadActiveAsync(null, sink, cancellationToken);
                }
                finally
                {
                    await warming;
                }
            }
            else
            {
                await OnSessionAsync(
                    onSession,
                    async (session, token) =>
                    {
                        await store.LoadActiveAsync(session, sink, token);
                        return true;
                    },
                    cancellationToken);
            }

            if (_readyEpoch != lease.Epoch)
            {
                _readyEpoch = lease.Epoch;
                RunnerLog.ReadyForDb(logger, Database);
            }
        }
        catch (Exception ex) when (IsDatabaseTrouble(ex, cancellationToken))
        {
            // Retried at the next maintenance tick. A load that broke off part-way leaves nothing of the database
            // in the loop: a part could lack running jobs that hold capacity, and dispatching from it would overfill.
            if (sink.Abandon())
            {
                loop.TryWrite(new DatabaseLoading(Database, lease.Epoch));
            }

            RunnerLog.DatabaseError(logger, Database, "loading jobs failed: " + DatabaseErrorDescriber.Describe(ex, endpoint));
            _reloadPending = true;
        }
    }

    private async Task RereadAsync(Lease lease, HashSet<string> uuids, CancellationToken cancellationToken)
    {
        try
        {
            var rows = await store.ReadByUuidsAsync(uuids, cancellationToken);
            ReportSkipped(rows);
            if (_deferral.Learn(rows.Facts, _waitedOut))
            {
                RunnerLog.StartedReadsAtOnce(logger, Database);
            }

            foreach (var fact in rows.Facts)
            {
                uuids.Remove(fact.Uuid);
            }

            loop.TryWrite(new JobsChanged(Database, lease.Epoch, rows.Facts, uuids));
        }
        catch (Exception ex) when (IsDatabaseTrouble(ex, cancellationToken))
        {
            RunnerLog.DatabaseError(logger, Database, "re-reading changed jobs failed: " + DatabaseErrorDescriber.Describe(ex, endpoint));
            _reloadPending = true;
        }
    }

    private async Task RescueAsync(Lease lease, QueueJobListener listener, CancellationToken cancellationToken)
    {
        try
        {
            // On the listening session: a database at rest then keeps no pooled connection open for its periodic work.
            foreach (var (uuid, state) in await OnSessionAsync(listener, (session, token) => store.RescueAsync(lease, session, token), cancellationToken))
            {
                if (state == JobStates.Failed)
                {
                    RunnerLog.FailedDeadJob(logger, uuid, Database);
                    metrics.RescuedJobs.WithLabels(address.Server, address.Name, "retries_exhausted").Inc();
                }
                else
                {
                    RunnerLog.RequeuedDeadJob(logger, uuid);
                    metrics.RescuedJobs.WithLabels(address.Server, address.Name, "requeued").Inc();
                }
            }
        }
        catch (Exception ex) when (IsDatabaseTrouble(ex, cancellationToken))
        {
            RunnerLog.DatabaseError(logger, Database, "dead job rescue failed: " + DatabaseErrorDescriber.Describe(ex, endpoint));
        }
    }

    /// <summary>Work lent to the listening session runs within one ping interval; the wait is bounded in case the session dies meanwhile.</summary>
    private static Task<T> OnSessionAsync<T>(QueueJobListener listener, Func<NpgsqlConnection, CancellationToken, Task<T>> work, CancellationToken cancellationToken) =>
        listener.RunOnSessionAsync(work).WaitAsync(LeaderSessionSettings.ClientPingInterval * 4, cancellationToken);

    /// <summary>Posts a load to the loop as it is read, at most <see cref="MaxSlicesInFlight"/> slices ahead of it.</summary>
    private sealed class LoadSink(DatabaseRequestConsumer owner, long epoch) : IJobLoadSink
    {
        private readonly Lock _lock = new();
        private bool _abandoned;

        public bool Started { get; private set; }

        /// <summary>
        /// The consumer stopped waiting for this load (a failure, or the bounded wait for the listening session ran
        /// out while the read goes on there): nothing more of it may reach the loop, and the read stops at its next slice.
        /// </summary>
        /// <returns>Whether any of it reached the loop.</returns>
        public bool Abandon()
        {
            lock (_lock)
            {
                _abandoned = true;
                return Started;
            }
        }

        public ValueTask StartAsync(CancellationToken cancellationToken)
        {
            lock (_lock)
            {
                ThrowIfAbandoned();
                Started = true;
                owner.Post(new DatabaseLoading(owner.Database, epoch));
            }

            return ValueTask.CompletedTask;
        }

        public async ValueTask AddAsync(LoadSlice slice, CancellationToken cancellationToken)
        {
            await owner._sliceCredits.TakeAsync(cancellationToken);
            lock (_lock)
            {
                if (_abandoned)
                {
                    owner._sliceCredits.Return();
                    ThrowIfAbandoned();
                }

                owner.ReportSkipped(slice.Skipped);
                owner.Post(new JobsLoaded(owner.Database, epoch, slice.Jobs, owner._sliceCredits));
            }
        }

        private void ThrowIfAbandoned()
        {
            if (_abandoned)
            {
                throw new OperationCanceledException("the runner stopped waiting for this load");
            }
        }
    }

    // The runner's key for the database: what facts, leases and log lines name it by.
    private string Database => address.Key;

    private void Post(RunnerSignal signal) => loop.TryWrite(signal);

    private void ReportSkipped(JobRows rows) => ReportSkipped(rows.Skipped);

    private void ReportSkipped(List<(string Reason, long Id)> skipped)
    {
        foreach (var (reason, id) in skipped)
        {
            if (_reportedRows.Count < MaxReportedRows && _reportedRows.Add((reason, id)))
            {
                metrics.SkippedRows.WithLabels(address.Server, address.Name, reason).Inc();
                RunnerLog.SkippedRow(logger, Database, id, reason);
            }
        }
    }

    private static bool IsDatabaseTrouble(Exception ex, CancellationToken cancellationToken) =>
        ex is NpgsqlException or TimeoutException or ListenerSessionUnavailableException
        || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested);
}
