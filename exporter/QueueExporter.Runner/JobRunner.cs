using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using QueueExporter.QueueJob.Connection;
using QueueExporter.Runner.Channels;
using QueueExporter.Runner.Database;
using QueueExporter.Runner.Dispatch;

namespace QueueExporter.Runner;

/// <summary>
/// The job runner: a compatible replacement for OCA's queue_job runner. It wires one supervised
/// <see cref="DatabaseActor"/> per database (locked in sorted order at start), the pure scheduler inside
/// the <see cref="RunnerLoop"/>, and the <see cref="Dispatcher"/>. Without a database list it lists the
/// server's databases again every <see cref="RunnerOptions.DiscoveryInterval"/>, serving new ones and
/// stopping gone ones. Cancelling <see cref="RunAsync"/> is the graceful stop: dispatching stops at once,
/// in-flight calls get <see cref="RunnerOptions.StopGracePeriod"/>.
/// </summary>
public sealed class JobRunner
{
    /// <summary>A loop silent for longer than this is reported unhealthy.</summary>
    public static readonly TimeSpan HealthyHeartbeatAge = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan DiscoveryRetryDelay = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan FirstAttemptPatience = TimeSpan.FromSeconds(15);

    private readonly RunnerOptions _options;
    private readonly RunnerMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, ServedDatabase> _databases = new(StringComparer.Ordinal);
    private RunnerLoop? _loop;
    private volatile bool _startedEveryDatabase;
    private volatile string? _discoveryFailure;

    /// <summary>Validates <paramref name="options"/> (a bad value throws with one clear line).</summary>
    public JobRunner(RunnerOptions options, RunnerMetrics metrics, ILoggerFactory? loggers = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _metrics = metrics ?? throw new ArgumentNullException(nameof(metrics));
        _time = time ?? TimeProvider.System;
        _loggers = loggers ?? NullLoggerFactory.Instance;
        _logger = _loggers.CreateLogger<JobRunner>();
    }

    /// <summary>When the runner loop last completed an iteration; null before it started.</summary>
    public DateTimeOffset? LastHeartbeat => _loop?.LastHeartbeat;

    /// <summary>Whether the loop completed an iteration recently.</summary>
    public bool IsAlive => LastHeartbeat is { } beat && _time.GetUtcNow() - beat < HealthyHeartbeatAge;

    /// <summary>
    /// Whether the runner has made its first attempt on every database it found at start (they are tried
    /// one by one, in sorted order): before that, databases not yet tried are not in <see cref="DatabaseHealth"/>.
    /// </summary>
    public bool HasTriedEveryDatabase => _startedEveryDatabase;

    /// <summary>Why the last discovery of the server's databases failed; null when it worked (or none ran yet).</summary>
    public string? DiscoveryFailure => _discoveryFailure;

    /// <summary>The databases served, with whether this process leads each.</summary>
    public IReadOnlyDictionary<string, bool> Leadership => _databases.ToDictionary(d => d.Key, d => d.Value.Actor.CurrentLease is not null, StringComparer.Ordinal);

    /// <summary>
    /// Per database: whether it is served (led here or by another runner) and, when not, why, in one line.
    /// /healthz is healthy only while the loop is alive and every database is served.
    /// </summary>
    public IReadOnlyDictionary<string, (bool Served, string Status, string Reason)> DatabaseHealth =>
        _databases.ToDictionary(
            d => d.Key,
            d => d.Value.Actor.Health is var h ? (h.IsServed, h.Status.ToString().ToLowerInvariant(), h.Reason) : default,
            StringComparer.Ordinal);

    /// <summary>Runs until <paramref name="cancellationToken"/> is cancelled, then stops gracefully.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        RunnerLog.Starting(_logger);
        var scheduler = new JobScheduler(_options.ParsedChannels, _time);
        foreach (var counts in scheduler.CountChannels())
        {
            RunnerLog.ConfiguredChannel(_logger, counts.ToString());
        }

        foreach (var channel in _options.ParsedChannels.Where(c => c.IgnoredKeys is { Count: > 0 }))
        {
            RunnerLog.IgnoredChannelKeys(_logger, channel.Name, string.Join(", ", channel.IgnoredKeys!));
        }

        var resolver = new QueueJobDatabases(_options.Endpoint, _options.Databases, _options.ApplicationName, _options.DatabaseFilter);
        var databases = await ResolveDatabasesAsync(() => resolver.ResolveAsync(cancellationToken), cancellationToken);
        if (databases is null)
        {
            RunnerLog.Stopped(_logger);
            return;
        }

        RunnerLog.InitializingConnections(_logger);
        using var loopStop = new CancellationTokenSource();
        using var actorsStop = new CancellationTokenSource(); // cancelled only after in-flight calls drained
        using var budget = new ConnectionBudget(_options.MaxConnections);
        using var dispatcher = new Dispatcher(
            db => _databases.TryGetValue(db, out var served) ? served.Actor : null,
            new WorkerClient(_options.WorkerUrl, _options.HttpAuthUser, _options.HttpAuthPassword, _options.HttpTimeout),
            _metrics,
            _time,
            _loggers.CreateLogger<Dispatcher>(),
            _options.RequeueDelayAfterConnectionError);
        var loop = new RunnerLoop(scheduler, dispatcher, _metrics, _time, _loggers.CreateLogger<RunnerLoop>(), _options.MaxDispatchBatch);
        dispatcher.Attach(actorsStop.Token);
        _loop = loop;
        var loopTask = Task.Run(() => loop.RunAsync(loopStop.Token), CancellationToken.None);
        foreach (var database in databases)
        {
            var served = Serve(database, loop, budget, actorsStop.Token);

            // OCA locks databases in sorted order; waiting for each first attempt keeps that order.
            await Task.WhenAny(served.Actor.FirstAttempt, Task.Delay(FirstAttemptPatience, _time, cancellationToken));
        }

        _startedEveryDatabase = true;
        RunnerLog.ConnectionsReady(_logger);
        try
        {
            if (_options.Databases.Count == 0 && _options.Endpoint.Database is null)
            {
                await FollowDiscoveryAsync(resolver, loop, budget, actorsStop.Token, cancellationToken);
            }
            else
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, _time, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            RunnerLog.StopRequested(_logger);
        }

        await loopStop.CancelAsync();
        await loopTask;
        await dispatcher.DrainAsync(_options.StopGracePeriod);
        await actorsStop.CancelAsync();
        foreach (var served in _databases.Values)
        {
            await served.Task;
            await served.Actor.DisposeAsync();
        }

        RunnerLog.Stopped(_logger);
    }

    private ServedDatabase Serve(string database, RunnerLoop loop, ConnectionBudget budget, CancellationToken stop)
    {
        var actor = new DatabaseActor(database, _options, new PostgresRunnerStore(database, _options, budget, _time), loop.Signals, _metrics, _time, _loggers.CreateLogger<DatabaseActor>());
        var actorStop = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var served = new ServedDatabase(actor, actorStop, Task.Run(() => actor.RunAsync(actorStop.Token), CancellationToken.None));
        _databases[database] = served;
        return served;
    }

    private async Task FollowDiscoveryAsync(QueueJobDatabases resolver, RunnerLoop loop, ConnectionBudget budget, CancellationToken actorsStop, CancellationToken cancellationToken)
    {
        while (true)
        {
            await Task.Delay(_options.DiscoveryInterval, _time, cancellationToken);
            try
            {
                if (!await DiscoverOnceAsync(resolver, loop, budget, actorsStop, cancellationToken))
                {
                    return;
                }

                _discoveryFailure = null;
            }
#pragma warning disable CA1031 // Supervision: a failed discovery is logged, shown on /healthz and tried again next interval.
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
#pragma warning restore CA1031
            {
                _discoveryFailure = $"{ex.GetType().Name}: {ex.Message}";
                RunnerLog.DiscoveryFailed(_logger, ex, _options.DiscoveryInterval.TotalSeconds);
            }
        }
    }

    /// <summary>One discovery: serves new databases, stops gone ones; false when stopping.</summary>
    private async Task<bool> DiscoverOnceAsync(QueueJobDatabases resolver, RunnerLoop loop, ConnectionBudget budget, CancellationToken actorsStop, CancellationToken cancellationToken)
    {
        var known = _databases.Keys.ToHashSet(StringComparer.Ordinal);
        var found = await ResolveDatabasesAsync(() => resolver.DiscoverAsync(cancellationToken, known), cancellationToken);
        if (found is null)
        {
            return false;
        }

        var added = found.Where(d => !known.Contains(d)).ToList();
        var removed = known.Where(d => !found.Contains(d, StringComparer.Ordinal)).ToList();
        if (added.Count == 0 && removed.Count == 0)
        {
            return true;
        }

        RunnerLog.DatabasesChanged(_logger, added.Count, removed.Count);
        foreach (var database in removed)
        {
            if (_databases.TryRemove(database, out var gone))
            {
                // Stopping the actor closes its session, which ends its lease: the loop forgets the jobs.
                await gone.Stop.CancelAsync();
                await gone.Task;
                await gone.Actor.DisposeAsync();
                gone.Stop.Dispose();
                _metrics.DatabaseUp.RemoveLabelled(database);
                _metrics.Leader.RemoveLabelled(database);
            }
        }

        foreach (var database in added)
        {
            Serve(database, loop, budget, actorsStop);
        }

        return true;
    }

    private async Task<IReadOnlyList<string>?> ResolveDatabasesAsync(Func<Task<IReadOnlyList<string>>> resolve, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                return [.. (await resolve()).Order(StringComparer.Ordinal)];
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                RunnerLog.DatabaseError(_logger, _options.Endpoint.Describe(), DatabaseErrorDescriber.Describe(ex, _options.Endpoint));
                RunnerLog.SleepingAndRetrying(_logger, ex, (int)DiscoveryRetryDelay.TotalSeconds);
                try
                {
                    await Task.Delay(DiscoveryRetryDelay, _time, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return null;
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return null;
            }
        }

        return null;
    }

    private sealed record ServedDatabase(DatabaseActor Actor, CancellationTokenSource Stop, Task Task);
}
