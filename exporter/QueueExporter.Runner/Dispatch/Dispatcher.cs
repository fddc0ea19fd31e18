using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using QueueExporter.Runner.Channels;
using QueueExporter.Runner.Database;
using QueueExporter.Runner.Leadership;
using QueueExporter.Runner.Servers;
using QueueExporter.Runner.Status;

namespace QueueExporter.Runner.Dispatch;

/// <summary>
/// Turns the scheduler's picks into runjob calls: per database ONE guarded, lease-fenced UPDATE moves
/// the whole slice from pending to enqueued (RETURNING the rows it really moved), then one asynchronous
/// GET per moved job. A slice chosen under an earlier lease is dropped unsent (the loop has forgotten
/// those jobs); jobs the UPDATE did not move go back to the database as a re-read request.
/// The in-flight count never exceeds what the scheduler let start, i.e. the channel capacities.
/// </summary>
internal sealed class Dispatcher
{
    private readonly Func<string, IDispatchTarget?> _targets;
    private readonly Func<string, DatabaseAddress> _addressOf;
    private readonly RunnerMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TimeSpan _requeueDelay;
    private readonly ConcurrentDictionary<Task, byte> _inFlight = new();
    private CancellationToken _stopping;

    /// <param name="targets">The database a key names, while it is served; its server's workers come with it.</param>
    /// <param name="addressOf">Which server and database a key names, served or not (for the metrics' labels).</param>
    /// <param name="metrics">The runner's metrics.</param>
    /// <param name="time">The clock.</param>
    /// <param name="logger">Its log.</param>
    /// <param name="requeueDelay">How long a slot is held after a connection error before the job goes back to pending.</param>
    public Dispatcher(Func<string, IDispatchTarget?> targets, Func<string, DatabaseAddress> addressOf, RunnerMetrics metrics, TimeProvider time, ILogger logger, TimeSpan requeueDelay)
    {
        _targets = targets;
        _addressOf = addressOf;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _requeueDelay = requeueDelay;
    }

    public int InFlight => _inFlight.Count;

    /// <summary>Where each runjob call's outcome is also noted for the status page; none when null.</summary>
    public RecentDispatches? Recent { get; init; }

    /// <summary>The token that aborts database work on stop.</summary>
    public void Attach(CancellationToken stopping) => _stopping = stopping;

    /// <summary>Starts dispatching; returns at once (the loop never waits for PostgreSQL or HTTP).</summary>
    /// <param name="jobs">What the scheduler let start.</param>
    /// <param name="epochs">The lease epoch under which the loop holds each database's jobs.</param>
    public void Dispatch(IReadOnlyList<RunnableJob> jobs, IReadOnlyDictionary<string, long> epochs)
    {
        // Almost always one database: one pass, no grouping allocations (this runs once per loop iteration).
        for (var i = 0; i < jobs.Count; i++)
        {
            var database = jobs[i].Database;
            var seen = false;
            for (var j = 0; j < i && !seen; j++)
            {
                seen = string.Equals(jobs[j].Database, database, StringComparison.Ordinal);
            }

            if (seen || !epochs.TryGetValue(database, out var epoch))
            {
                continue;
            }

            var slice = new List<RunnableJob>();
            for (var j = i; j < jobs.Count; j++)
            {
                if (string.Equals(jobs[j].Database, database, StringComparison.Ordinal))
                {
                    slice.Add(jobs[j]);
                }
            }

            Track(DispatchDatabaseAsync(database, epoch, slice));
        }
    }

    /// <summary>Waits for in-flight work, at most <paramref name="grace"/>.</summary>
    public async Task DrainAsync(TimeSpan grace)
    {
        // A database slice in flight starts its HTTP calls later: keep draining until nothing is left.
        var deadline = Task.Delay(grace, _time);
        while (!_inFlight.IsEmpty && !deadline.IsCompleted)
        {
            await Task.WhenAny(Task.WhenAll(_inFlight.Keys), deadline);
        }
    }

    private void Track(Task task)
    {
        _inFlight.TryAdd(task, 0);
        task.ContinueWith(t => _inFlight.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task DispatchDatabaseAsync(string database, long epoch, List<RunnableJob> jobs)
    {
        // Taken before the first await, i.e. in the loop iteration that chose the jobs: date_enqueued is the decision time.
        var now = _time.GetUtcNow();
        if (_targets(database) is not { } target || target.CurrentLease is not { } lease || lease.Epoch != epoch)
        {
            // Chosen under a lease that has ended: the loop forgets (or has forgotten) these jobs with it.
            var address = _addressOf(database);
            foreach (var job in jobs)
            {
                _metrics.Dispatches.WithLabels(address.Server, address.Name, job.Channel, "stale_lease").Inc();
            }

            return;
        }

        var uuids = new string[jobs.Count];
        for (var i = 0; i < jobs.Count; i++)
        {
            uuids[i] = jobs[i].Uuid;
        }

        // Before the UPDATE is sent, so that its notifications can never arrive before they are expected.
        target.Echoes.Expect(lease.Epoch, uuids);
        var moved = (HashSet<string>?)null;
        try
        {
            moved = await target.Store.MarkEnqueuedAsync(lease, uuids, now, _stopping);
            if (moved.Count < jobs.Count)
            {
                var lost = new List<string>(jobs.Count - moved.Count);
                foreach (var job in jobs)
                {
                    if (!moved.Contains(job.Uuid))
                    {
                        lost.Add(job.Uuid);
                        target.Echoes.Withdraw(lease.Epoch, job.Uuid);
                        _metrics.Dispatches.WithLabels(target.Address.Server, target.Address.Name, job.Channel, "not_pending").Inc();
                    }
                }

                // Nothing moved may mean the fence held, not that every job moved on: a lease the database
                // no longer honours must end now, or the re-read would hand the same jobs back in a loop.
                if (moved.Count == 0 && !await target.Store.IsLeaseHeldAsync(lease, _stopping))
                {
                    target.ReportLeaseLost(lease);
                    return;
                }

                target.RequestReread(lost);
            }

            foreach (var job in jobs)
            {
                if (moved.Contains(job.Uuid))
                {
                    Track(CallWorkerAsync(target, lease, database, job));
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !_stopping.IsCancellationRequested)
        {
            // Whether the UPDATE committed is unknown: its notifications, if any, are read like anyone's.
            if (moved is null)
            {
                foreach (var uuid in uuids)
                {
                    target.Echoes.Withdraw(lease.Epoch, uuid);
                }
            }

            // The scheduler counted these as running: a full reload of the database corrects that.
            RunnerLog.DatabaseError(_logger, database, "dispatch failed: " + ex.Message);
            target.RequestReload();
        }
    }

    private async Task CallWorkerAsync(IDispatchTarget target, Lease lease, string database, RunnableJob job)
    {
        var url = target.Worker.RunJobUrl(target.Address.Name, job.Uuid);
        RunnerLog.AskingToRun(_logger, job.Uuid, database);
        _metrics.DispatchLatency.WithLabels(job.Channel).Observe(Math.Max(0, (_time.GetUtcNow() - job.RunnableSince).TotalSeconds));
        var started = Stopwatch.GetTimestamp();
        var (outcome, error) = await target.Worker.RunJobAsync(url);
        var label = OutcomeLabel(outcome);
        _metrics.DispatchDuration.WithLabels(job.Channel, label).Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        _metrics.Dispatches.WithLabels(target.Address.Server, target.Address.Name, job.Channel, label).Inc();
        Recent?.Add(new DispatchRecord(_time.GetUtcNow(), database, job.Channel, job.Uuid, label));
        if (outcome is not (DispatchOutcome.ConnectionError or DispatchOutcome.Refused))
        {
            return;
        }

        if (outcome == DispatchOutcome.Refused)
        {
            // Back-pressure working as designed: one line, no exception, however often it happens.
            RunnerLog.WorkerRefused(_logger, job.Uuid, database);
        }
        else
        {
            RunnerLog.ExceptionInGet(_logger, error!, url.ToString());
        }

        try
        {
            // Hold the slot a moment: re-queueing at once would hammer a worker that is down.
            await Task.Delay(_requeueDelay, _time, _stopping);
            target.Echoes.Resetting(lease.Epoch, job.Uuid);
            if (await target.Store.ResetToPendingAsync(lease, job.Uuid, _stopping))
            {
                RunnerLog.StateReset(_logger, job.Uuid, "enqueued", "pending");
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or Npgsql.NpgsqlException or TimeoutException)
        {
            // Left enqueued: the dead-job rescue puts it back.
            RunnerLog.DatabaseError(_logger, database, $"could not reset job {job.Uuid} to pending: {ex.Message}");
        }
    }

    private static string OutcomeLabel(DispatchOutcome outcome) => outcome switch
    {
        DispatchOutcome.Ok => "ok",
        DispatchOutcome.HttpError => "http_error",
        DispatchOutcome.Timeout => "timeout",
        DispatchOutcome.ConnectionError => "connection_error",
        DispatchOutcome.Refused => "refused",
        _ => "not_pending",
    };
}
