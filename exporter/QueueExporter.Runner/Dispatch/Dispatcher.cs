using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Npgsql;
using QueueExporter.Runner.Channels;
using QueueExporter.Runner.Database;

namespace QueueExporter.Runner.Dispatch;

/// <summary>
/// Turns the scheduler's picks into runjob calls: per database ONE guarded UPDATE moves the whole
/// slice from pending to enqueued (RETURNING the rows it really moved), then one asynchronous GET per
/// moved job. Jobs the UPDATE did not move are re-read so the scheduler learns their real state.
/// The in-flight count never exceeds what the scheduler let start, i.e. the channel capacities.
/// </summary>
internal sealed class Dispatcher : IDisposable
{
    private readonly Func<string, DatabaseSource?> _sources;
    private readonly WorkerClient _worker;
    private readonly RunnerMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TimeSpan _requeueDelay;
    private readonly ConcurrentDictionary<Task, byte> _inFlight = new();
    private ChannelWriter<RunnerSignal>? _signals;
    private CancellationToken _stopping;

    public Dispatcher(Func<string, DatabaseSource?> sources, WorkerClient worker, RunnerMetrics metrics, TimeProvider time, ILogger logger, TimeSpan requeueDelay)
    {
        _sources = sources;
        _worker = worker;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _requeueDelay = requeueDelay;
    }

    public int InFlight => _inFlight.Count;

    /// <summary>Where re-read facts go, and the token that aborts database work on stop.</summary>
    public void Attach(ChannelWriter<RunnerSignal> signals, CancellationToken stopping)
    {
        _signals = signals;
        _stopping = stopping;
    }

    /// <summary>Starts dispatching; returns at once (the loop never waits for PostgreSQL or HTTP).</summary>
    public void Dispatch(IReadOnlyList<RunnableJob> jobs)
    {
        foreach (var group in jobs.GroupBy(j => j.Database, StringComparer.Ordinal))
        {
            Track(DispatchDatabaseAsync(group.Key, [.. group]));
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

    public void Dispose() => _worker.Dispose();

    private void Track(Task task)
    {
        _inFlight.TryAdd(task, 0);
        task.ContinueWith(t => _inFlight.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task DispatchDatabaseAsync(string database, List<RunnableJob> jobs)
    {
        // Taken before the first await, i.e. in the loop iteration that chose the jobs: date_enqueued is the decision time.
        var now = _time.GetUtcNow();
        try
        {
            if (_sources(database) is not { } source)
            {
                return;
            }

            var dataSource = source.DataSource;
            var moved = await BrokenConnectionRetry.RunAsync(
                dataSource, connection => JobStateWriter.MarkEnqueuedAsync(connection, [.. jobs.Select(j => j.Uuid)], now, _stopping), _stopping);
            var lost = jobs.Where(j => !moved.Contains(j.Uuid)).ToList();
            if (lost.Count > 0)
            {
                foreach (var job in lost)
                {
                    _metrics.Dispatches.WithLabels(database, job.Channel, "not_pending").Inc();
                }

                var uuids = lost.Select(j => j.Uuid).ToList();
                var facts = await BrokenConnectionRetry.RunAsync(dataSource, connection => JobRowReader.ReadByUuidsAsync(connection, database, uuids, _stopping), _stopping);
                var present = facts.Select(f => f.Uuid).ToHashSet(StringComparer.Ordinal);
                _signals?.TryWrite(new JobsChanged(database, facts, [.. uuids.Where(u => !present.Contains(u))]));
            }

            foreach (var job in jobs)
            {
                if (moved.Contains(job.Uuid))
                {
                    Track(CallWorkerAsync(dataSource, database, job));
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !_stopping.IsCancellationRequested)
        {
            // The scheduler counted these as running: a full reload of the database corrects that.
            RunnerLog.DatabaseError(_logger, database, "dispatch failed: " + ex.Message);
            _sources(database)?.RequestReload();
        }
    }

    private async Task CallWorkerAsync(NpgsqlDataSource dataSource, string database, RunnableJob job)
    {
        var url = _worker.RunJobUrl(database, job.Uuid);
        RunnerLog.AskingToRun(_logger, job.Uuid, database);
        _metrics.DispatchLatency.WithLabels(job.Channel).Observe(Math.Max(0, (_time.GetUtcNow() - job.RunnableSince).TotalSeconds));
        var started = Stopwatch.GetTimestamp();
        var (outcome, error) = await _worker.RunJobAsync(url, CancellationToken.None);
        var label = OutcomeLabel(outcome);
        _metrics.DispatchDuration.WithLabels(job.Channel, label).Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        _metrics.Dispatches.WithLabels(database, job.Channel, label).Inc();
        if (outcome is not (DispatchOutcome.ConnectionError or DispatchOutcome.Refused))
        {
            return;
        }

        RunnerLog.ExceptionInGet(_logger, error!, url.ToString());
        try
        {
            // Hold the slot a moment: re-queueing at once would hammer a worker that is down.
            await Task.Delay(_requeueDelay, _time, _stopping);
            await using var connection = await dataSource.OpenConnectionAsync(_stopping);
            if (await JobStateWriter.ResetToPendingAsync(connection, job.Uuid, _stopping))
            {
                RunnerLog.StateReset(_logger, job.Uuid, "enqueued", "pending");
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or NpgsqlException)
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
