using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using QueueExporter.QueueJob.Connection;
using QueueExporter.Runner.Channels;
using QueueExporter.Runner.Database;
using QueueExporter.Runner.Dispatch;
using QueueExporter.Runner.Fleet;
using QueueExporter.Runner.Servers;
using QueueExporter.Runner.Status;

namespace QueueExporter.Runner;

/// <summary>
/// The job runner: a compatible replacement for OCA's queue_job runner. It wires one supervised
/// <see cref="DatabaseActor"/> per database (locked in sorted order at start), the pure scheduler inside
/// the <see cref="RunnerLoop"/>, and the <see cref="Dispatcher"/>. It serves one or several servers
/// (<see cref="RunnerOptions.Servers"/>), each with its own workers; without a database list it lists each
/// server's databases again every <see cref="RunnerOptions.DiscoveryInterval"/>, serving new ones and
/// stopping gone ones. As a fleet replica (<see cref="RunnerOptions.Fleet"/>) it serves only its share
/// of the databases (<see cref="FleetAssignment"/>), following membership, and hands over in order the
/// databases that move to another replica. Cancelling <see cref="RunAsync"/> is the graceful stop: dispatching stops at once,
/// in-flight calls get <see cref="RunnerOptions.StopGracePeriod"/>.
/// </summary>
public sealed class JobRunner
{
    /// <summary>A loop silent for longer than this is reported unhealthy.</summary>
    public static readonly TimeSpan HealthyHeartbeatAge = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan DiscoveryRetryDelay = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan FirstAttemptPatience = TimeSpan.FromSeconds(15);

    // How long an orderly hand-over waits for the fenced writes in flight (they take milliseconds; the fence keeps it safe past this).
    private static readonly TimeSpan HandOverPatience = TimeSpan.FromSeconds(5);

    private readonly RunnerOptions _options;
    private readonly RunnerMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, ServedDatabase> _databases = new(StringComparer.Ordinal);

    // Every database found since start, by key: the dispatcher labels a job of a database no longer served by it.
    private readonly ConcurrentDictionary<string, DatabaseAddress> _addresses = new(StringComparer.Ordinal);
    private readonly IReadOnlyList<ServerDiscovery> _servers;
    private RunnerLoop? _loop;
    private volatile bool _startedEveryDatabase;
    private volatile string? _controlFailure;
    private volatile IReadOnlyList<string> _discovered = [];
    private FleetMembership? _fleet;
    private FleetView? _lastView;

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
        _servers = [.. options.Servers.Select(server => new ServerDiscovery(server, options.ApplicationName, options.Servers.Count > 1))];
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

    /// <summary>
    /// Why the last listing of a server's databases failed (with several servers, each failing one named),
    /// or the control loop's last failure; null when everything worked (or nothing ran yet).
    /// </summary>
    public string? DiscoveryFailure => _controlFailure ?? (_servers.Count == 1
        ? _servers[0].Failure
        : _servers.Where(s => s.Failure is not null).Select(s => $"{s.Server.Name}: {s.Failure}").ToList() is { Count: > 0 } failing ? string.Join("; ", failing) : null);

    /// <summary>Each channel's capacity and jobs as last counted by the loop (empty before it ran).</summary>
    public IReadOnlyList<ChannelJobCounts> ChannelCounts => _loop?.LastChannelCounts ?? [];

    /// <summary>The last runjob calls and failures, for the status page.</summary>
    public RecentDispatches RecentDispatches { get; } = new();

    /// <summary>In a fleet, this replica's membership in one line (slot, members, share, or why it is not a member); null outside a fleet.</summary>
    public string? FleetStatus => _fleet is not { } fleet ? null
        : fleet.Failure is { } failure ? "not a member: " + failure
        : fleet.View is { } view ? $"replica slot {view.Slot} of {view.Members.Count} live ({string.Join(",", view.Members)}); {_databases.Count} of {_discovered.Count} databases assigned here"
        : "joining";

    /// <summary>Whether this replica is a current member of its fleet (always true outside a fleet).</summary>
    public bool IsFleetMember => _fleet is null || (_fleet.Failure is null && _fleet.View is not null);

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
        IJobScheduler scheduler = _options.CapacityScope switch
        {
            CapacityScope.Database => new PartitionedScheduler(_options.ParsedChannels, _time),
            CapacityScope.Server => new PartitionedScheduler(_options.ParsedChannels, _time, key => _addresses[key].Server),
            _ => new JobScheduler(_options.ParsedChannels, _time),
        };
        _metrics.CapacityScope.WithLabels(_options.CapacityScope.ToString().ToLowerInvariant()).Set(1);
        foreach (var counts in scheduler.CountChannels())
        {
            RunnerLog.ConfiguredChannel(_logger, counts.ToString());
        }

        foreach (var channel in _options.ParsedChannels.Where(c => c.IgnoredKeys is { Count: > 0 }))
        {
            RunnerLog.IgnoredChannelKeys(_logger, channel.Name, string.Join(", ", channel.IgnoredKeys!));
        }

        if (!await FirstDiscoveryAsync(cancellationToken))
        {
            RunnerLog.Stopped(_logger);
            return;
        }

        var databases = _discovered;
        RunnerLog.InitializingConnections(_logger);
        using var loopStop = new CancellationTokenSource();
        using var actorsStop = new CancellationTokenSource(); // cancelled only after in-flight calls drained
        using var budget = new ConnectionBudget(_options.MaxConnections);
        using var workers = new WorkerClients(_options, _time);

        // The workers' first connection opens while the databases connect and load, not behind the first dispatch.
        var workersWarm = Task.Run(() => workers.WarmUpAsync(_logger, actorsStop.Token), CancellationToken.None);
        var dispatcher = new Dispatcher(
            db => _databases.TryGetValue(db, out var served) ? served.Actor : null,
            db => _addresses[db],
            _metrics,
            _time,
            _loggers.CreateLogger<Dispatcher>(),
            _options.RequeueDelayAfterConnectionError)
        {
            Recent = RecentDispatches,
        };
        var loop = new RunnerLoop(scheduler, dispatcher, _metrics, _time, _loggers.CreateLogger<RunnerLoop>(), _options.MaxDispatchBatch);
        dispatcher.Attach(actorsStop.Token);
        _loop = loop;
        var loopTask = Task.Run(() => loop.RunAsync(loopStop.Token), CancellationToken.None);
        var fleetTask = Task.CompletedTask;
        if (_options.Fleet)
        {
            // With several servers, the first one named keeps the fleet's membership.
            _fleet = new FleetMembership(
                _options.Endpoint.WithDatabase(_options.FleetDatabase).ToConnectionString(_options.ApplicationName, pooling: false),
                _options.FleetInterval,
                _metrics,
                _time,
                _loggers.CreateLogger<FleetMembership>());
            fleetTask = Task.Run(() => _fleet.RunAsync(actorsStop.Token), CancellationToken.None);
        }

        var control = new ControlContext(workers, loop, budget, actorsStop.Token);
        try
        {
            if (_fleet is null)
            {
                foreach (var database in databases)
                {
                    var served = Serve(database, control);

                    // OCA locks databases in sorted order; waiting for each first attempt keeps that order.
                    await Task.WhenAny(served.Actor.FirstAttempt, Task.Delay(FirstAttemptPatience, _time, cancellationToken));
                }

                _metrics.DatabasesAssigned.Set(_databases.Count);
            }
            else
            {
                // A replica leads nothing until it knows the fleet: leading everything first would hand most of it over at once.
                await Task.WhenAny(_fleet.Changes.WaitToReadAsync(cancellationToken).AsTask(), Task.Delay(FirstAttemptPatience, _time, cancellationToken));

                // Replicas usually start together: one more read lets the others' slots show up before anything is led.
                await Task.Delay(_options.FleetInterval, _time, cancellationToken);
                await ReconcileAsync(control, initial: true);
                await Task.WhenAny(Task.WhenAll(_databases.Values.Select(d => d.Actor.FirstAttempt)), Task.Delay(FirstAttemptPatience, _time, cancellationToken));
            }

            _startedEveryDatabase = true;
            RunnerLog.ConnectionsReady(_logger);
            await FollowChangesAsync(control, cancellationToken);
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

        await fleetTask;
        await workersWarm;
        RunnerLog.Stopped(_logger);
    }

    private ServedDatabase Serve(string database, ControlContext control)
    {
        var address = _addresses[database];
        var server = _servers.First(s => string.Equals(s.Server.Name, address.Server, StringComparison.Ordinal)).Server;
        var actor = new DatabaseActor(
            address,
            server,
            control.Workers.For(server),
            _options,
            new PostgresRunnerStore(address, server, _options, control.Budget, _time),
            control.Loop.Signals,
            _metrics,
            _time,
            _loggers.CreateLogger<DatabaseActor>());
        // The first database served at start opens its pool while its session connects: the JIT and the connection are
        // then ready when the load begins. Only the first, so a start with many databases opens no connection more.
        actor.WarmsUpAtStart = !_startedEveryDatabase && _databases.IsEmpty;
        var actorStop = CancellationTokenSource.CreateLinkedTokenSource(control.ActorsStop);
        var served = new ServedDatabase(actor, actorStop, Task.Run(() => actor.RunAsync(actorStop.Token), CancellationToken.None));
        _databases[database] = served;
        return served;
    }

    /// <summary>
    /// The control loop: re-lists each server's databases every discovery interval (when none is named;
    /// sooner after a failed listing) and, in a fleet, follows membership; after either it makes the
    /// databases served match what this runner should lead. Supervised: a failure is logged with its stack,
    /// shown on /healthz and retried.
    /// </summary>
    private async Task FollowChangesAsync(ControlContext control, CancellationToken cancellationToken)
    {
        while (true)
        {
            var nextDiscovery = _servers.Min(s => s.NextAttempt ?? DateTimeOffset.MaxValue);
            using (var wake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                var waits = new List<Task> { Task.Delay(nextDiscovery == DateTimeOffset.MaxValue ? Timeout.InfiniteTimeSpan : Max(nextDiscovery - _time.GetUtcNow(), TimeSpan.Zero), _time, wake.Token) };
                if (_fleet is not null)
                {
                    waits.Add(_fleet.Changes.WaitToReadAsync(wake.Token).AsTask());
                }

                await Task.WhenAny(waits);
                await wake.CancelAsync();
            }

            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                await DiscoverDueAsync(cancellationToken);
                await ReconcileAsync(control, initial: false);
                _controlFailure = null;
            }
#pragma warning disable CA1031 // Supervision: a failed discovery or reconciliation is logged, shown on /healthz and tried again next time.
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
#pragma warning restore CA1031
            {
                _controlFailure = $"{ex.GetType().Name}: {ex.Message}";
                RunnerLog.DiscoveryFailed(_logger, ex, _options.DiscoveryInterval.TotalSeconds);
            }
        }
    }

    /// <summary>
    /// The first listing of every server, at once. Until one server answers there is nothing to serve: it
    /// is tried again every few seconds, as OCA's runner does. Servers that do not answer then are tried
    /// again by the control loop, their failure shown on /healthz. False when stopped first.
    /// </summary>
    private async Task<bool> FirstDiscoveryAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await DiscoverDueAsync(cancellationToken);
                if (_servers.Any(s => s.Found is not null))
                {
                    return true;
                }

                await Task.Delay(DiscoveryRetryDelay, _time, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Lists the servers whose listing is due, all at once, and updates the databases discovered.</summary>
    private async Task DiscoverDueAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var due = _servers.Where(s => s.NextAttempt is { } next && next <= now).ToList();
        if (due.Count == 0)
        {
            return;
        }

        var known = _discovered.ToHashSet(StringComparer.Ordinal);
        var before = due.Select(s => s.Failure).ToList();
        var failures = await Task.WhenAll(due.Select(s => s.RefreshAsync(now, _options.DiscoveryInterval, DiscoveryRetryDelay, cancellationToken)));
        cancellationToken.ThrowIfCancellationRequested();
        for (var i = 0; i < due.Count; i++)
        {
            if (failures[i] is { } failure)
            {
                RunnerLog.DatabaseError(_logger, due[i].Server.Endpoint.Describe(), DatabaseErrorDescriber.Describe(failure, due[i].Server.Endpoint));
                // The stack once per distinct failure, as a database's session does; OCA's line every time.
                if (due[i].Failure == before[i])
                {
                    RunnerLog.SleepingAndRetryingAgain(_logger, (int)DiscoveryRetryDelay.TotalSeconds);
                }
                else
                {
                    RunnerLog.SleepingAndRetrying(_logger, failure, (int)DiscoveryRetryDelay.TotalSeconds);
                }
            }
        }

        // A server whose listing failed keeps what it had: its databases' own sessions notice an outage.
        var found = _servers.SelectMany(s => s.Found ?? []).ToList();
        foreach (var address in found)
        {
            _addresses[address.Key] = address;
        }

        var keys = found.Select(a => a.Key).Order(StringComparer.Ordinal).ToList();
        var added = keys.Count(k => !known.Contains(k));
        var removed = known.Count - (keys.Count - added);
        if (_startedEveryDatabase && (added > 0 || removed > 0))
        {
            RunnerLog.DatabasesChanged(_logger, added, removed);
        }

        _discovered = keys;
    }

    /// <summary>
    /// Serves what this runner should lead now and stops the rest: everything discovered, or in a fleet
    /// this replica's share of it. A database that stays on the server but moves to another replica is
    /// handed over in order (<see cref="DatabaseActor.HandOverAsync"/>) before its session closes.
    /// </summary>
    private async Task ReconcileAsync(ControlContext control, bool initial)
    {
        var discovered = _discovered.ToHashSet(StringComparer.Ordinal);
        IReadOnlySet<string> desired;
        if (_fleet is null)
        {
            desired = discovered;
        }
        else if (_fleet.View is { } view)
        {
            while (_fleet.Changes.TryRead(out _))
            {
                // Only the latest view counts, and it is in View already.
            }

            desired = FleetAssignment.For(view.Slot, _discovered, view.Members);
            if (!view.Equals(_lastView))
            {
                _lastView = view;
                RunnerLog.FleetChanged(_logger, view.Members.Count, string.Join(",", view.Members), view.Slot, desired.Count, _discovered.Count);
            }
        }
        else
        {
            // Not a member (yet, or its session failed): keep what is served, less what left the server.
            desired = _databases.Keys.Where(discovered.Contains).ToHashSet(StringComparer.Ordinal);
        }

        _metrics.DatabasesAssigned.Set(desired.Count);
        var leaving = _databases.Keys.Where(d => !desired.Contains(d)).ToList();
        await Task.WhenAll(leaving.Select(d => StopServingAsync(d, handOver: discovered.Contains(d))));
        foreach (var database in desired.Where(d => !_databases.ContainsKey(d)).Order(StringComparer.Ordinal))
        {
            var served = Serve(database, control);
            if (_fleet is not null && !initial)
            {
                _ = ObserveTakeOverAsync(served.Actor, served.Stop.Token, _time.GetTimestamp());
            }
        }
    }

    private async Task StopServingAsync(string database, bool handOver)
    {
        if (!_databases.TryRemove(database, out var gone))
        {
            return;
        }

        var started = _time.GetTimestamp();
        var wasLeading = handOver && await gone.Actor.HandOverAsync(HandOverPatience, CancellationToken.None);

        // Stopping the actor closes its session, which ends its lease (the loop forgets the jobs) and frees the lock.
        await gone.Stop.CancelAsync();
        await gone.Task;
        await gone.Actor.DisposeAsync();
        gone.Stop.Dispose();
        if (wasLeading)
        {
            _metrics.HandOvers.WithLabels("released").Inc();
            _metrics.HandOverDuration.WithLabels("released").Observe(_time.GetElapsedTime(started).TotalSeconds);
        }

        _metrics.DatabaseUp.RemoveLabelled(gone.Actor.Address.Server, gone.Actor.Address.Name);
        _metrics.Leader.RemoveLabelled(gone.Actor.Address.Server, gone.Actor.Address.Name);
    }

    private async Task ObserveTakeOverAsync(DatabaseActor actor, CancellationToken stopped, long assignedAt)
    {
        try
        {
            await actor.FirstLease.WaitAsync(stopped);
            _metrics.HandOvers.WithLabels("taken").Inc();
            _metrics.HandOverDuration.WithLabels("taken").Observe(_time.GetElapsedTime(assignedAt).TotalSeconds);
        }
        catch (OperationCanceledException)
        {
            // Stopped before it led: nothing was taken over.
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private sealed record ServedDatabase(DatabaseActor Actor, CancellationTokenSource Stop, Task Task);

    private sealed record ControlContext(WorkerClients Workers, RunnerLoop Loop, ConnectionBudget Budget, CancellationToken ActorsStop);
}
