using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using QueueExporter.QueueJob.Connection;
using QueueExporter.Runner.Channels;
using QueueExporter.Runner.Database;
using QueueExporter.Runner.Dispatch;

namespace QueueExporter.Runner;

/// <summary>
/// The job runner: a compatible replacement for OCA's queue_job runner. It wires one
/// <see cref="DatabaseSource"/> per database (locked in sorted order), the pure scheduler inside the
/// <see cref="RunnerLoop"/>, and the <see cref="Dispatcher"/>. Cancelling <see cref="RunAsync"/> is the
/// graceful stop: dispatching stops at once, in-flight calls get <see cref="RunnerOptions.StopGracePeriod"/>.
/// </summary>
public sealed class JobRunner
{
    /// <summary>A loop silent for longer than this is reported unhealthy.</summary>
    public static readonly TimeSpan HealthyHeartbeatAge = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan DiscoveryRetryDelay = TimeSpan.FromSeconds(5);

    private readonly RunnerOptions _options;
    private readonly RunnerMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly Dictionary<string, DatabaseSource> _sources = new(StringComparer.Ordinal);
    private RunnerLoop? _loop;

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

    /// <summary>The databases served, with whether this process leads each.</summary>
    public IReadOnlyDictionary<string, bool> Leadership => _sources.ToDictionary(s => s.Key, s => s.Value.IsLeader);

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

        var databases = await ResolveDatabasesAsync(cancellationToken);
        if (databases is null)
        {
            RunnerLog.Stopped(_logger);
            return;
        }

        RunnerLog.InitializingConnections(_logger);
        using var loopStop = new CancellationTokenSource();
        using var sourcesStop = new CancellationTokenSource(); // cancelled only after in-flight calls drained
        using var dispatcher = new Dispatcher(
            db => _sources.GetValueOrDefault(db),
            new WorkerClient(_options.WorkerUrl, _options.HttpAuthUser, _options.HttpAuthPassword, _options.HttpTimeout),
            _metrics,
            _time,
            _loggers.CreateLogger<Dispatcher>(),
            _options.RequeueDelayAfterConnectionError);
        var loop = new RunnerLoop(scheduler, dispatcher, _metrics, _time, _loggers.CreateLogger<RunnerLoop>(), _options.MaxDispatchBatch);
        dispatcher.Attach(loop.Signals, sourcesStop.Token);
        _loop = loop;
        var loopTask = Task.Run(() => loop.RunAsync(loopStop.Token), CancellationToken.None);
        var sourceTasks = new List<Task>();
        foreach (var database in databases)
        {
            var source = new DatabaseSource(database, _options, loop.Signals, _metrics, _time, _loggers.CreateLogger<DatabaseSource>());
            _sources[database] = source;
            sourceTasks.Add(Task.Run(() => source.RunAsync(sourcesStop.Token), CancellationToken.None));

            // OCA locks databases in sorted order; waiting for each first attempt keeps that order.
            await Task.WhenAny(source.FirstAttempt, Task.Delay(TimeSpan.FromSeconds(15), _time, cancellationToken));
        }

        RunnerLog.ConnectionsReady(_logger);
        try
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, _time, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            RunnerLog.StopRequested(_logger);
        }

        await loopStop.CancelAsync();
        await loopTask;
        await dispatcher.DrainAsync(_options.StopGracePeriod);
        await sourcesStop.CancelAsync();
        await Task.WhenAll(sourceTasks);
        foreach (var source in _sources.Values)
        {
            await source.DisposeAsync();
        }

        RunnerLog.Stopped(_logger);
    }

    private async Task<IReadOnlyList<string>?> ResolveDatabasesAsync(CancellationToken cancellationToken)
    {
        var resolver = new QueueJobDatabases(_options.Endpoint, _options.Databases, _options.ApplicationName);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var databases = await resolver.ResolveAsync(cancellationToken);
                return [.. databases.Order(StringComparer.Ordinal)];
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
}
