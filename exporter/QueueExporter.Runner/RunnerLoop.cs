using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using QueueExporter.Runner.Channels;
using QueueExporter.Runner.Dispatch;

namespace QueueExporter.Runner;

/// <summary>
/// The single thread of decision: it applies the facts the databases send, asks the scheduler which
/// jobs may start, hands them to the dispatcher, and sleeps until the next signal, eta or throttle
/// wake-up (at most one heartbeat interval). Signals are applied in bounded slices with dispatching
/// in between, so the first jobs of a large burst go out while the rest is still being read.
/// </summary>
internal sealed class RunnerLoop
{
    /// <summary>Upper bound of a sleep, so that the heartbeat stays fresh when nothing happens.</summary>
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(1);

    private const int SignalsPerSlice = 16;

    private readonly Channel<RunnerSignal> _signals = Channel.CreateUnbounded<RunnerSignal>(new UnboundedChannelOptions { SingleReader = true });
    private readonly IJobScheduler _scheduler;
    private readonly Dispatcher _dispatcher;
    private readonly RunnerMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly int _maxBatch;
    // The current lease epoch of each database this runner leads: facts of any other epoch are stale.
    private readonly Dictionary<string, long> _epochs = new(StringComparer.Ordinal);
    private long _lastGaugeUpdate;
    private CancellationTokenSource? _sleep;

    public RunnerLoop(IJobScheduler scheduler, Dispatcher dispatcher, RunnerMetrics metrics, TimeProvider time, ILogger logger, int maxBatch)
    {
        _scheduler = scheduler;
        _dispatcher = dispatcher;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _maxBatch = maxBatch;
    }

    public ChannelWriter<RunnerSignal> Signals => _signals.Writer;

    /// <summary>Unix time of the last completed iteration, for /healthz.</summary>
    public DateTimeOffset LastHeartbeat { get; private set; }

    /// <summary>The channel counts last published to the gauges (an immutable list, replaced whole), for the status page.</summary>
    public IReadOnlyList<ChannelJobCounts> LastChannelCounts { get; private set; } = [];

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var reader = _signals.Reader;
        var moreToTake = false;
        while (!cancellationToken.IsCancellationRequested)
        {
            if (!moreToTake && !reader.TryPeek(out _))
            {
                await WaitForSignalAsync(reader, cancellationToken);
            }

            var started = Stopwatch.GetTimestamp();
            try
            {
                for (var i = 0; i < SignalsPerSlice && reader.TryRead(out var signal); i++)
                {
                    Apply(signal);
                }

                var runnable = _scheduler.TakeRunnable(_maxBatch);
                moreToTake = runnable.Count == _maxBatch;
                if (runnable.Count > 0)
                {
                    _dispatcher.Dispatch(runnable, _epochs);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // One bad signal must not stop dispatching for every database.
                _logger.LogError(ex, "runner loop iteration failed");
                moreToTake = false;
            }

            UpdateGauges();
            _metrics.LoopDuration.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    private async Task WaitForSignalAsync(ChannelReader<RunnerSignal> reader, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var sleep = HeartbeatInterval;
        if (_scheduler.NextWakeUp() is { } wakeUp)
        {
            sleep = wakeUp <= now ? TimeSpan.Zero : TimeSpan.FromTicks(Math.Min(sleep.Ticks, (wakeUp - now).Ticks));
        }

        if (sleep == TimeSpan.Zero)
        {
            return;
        }

        // One source for every wait that a signal ends: a busy loop waits thousands of times a second.
        _sleep ??= CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _sleep.CancelAfter(sleep);
        try
        {
            await reader.WaitToReadAsync(_sleep.Token);
        }
        catch (OperationCanceledException)
        {
            // Woke up by time (an eta or throttle may have passed, or it is heartbeat time), or stopping: the loop checks.
        }

        if (!_sleep.TryReset())
        {
            // It fired: spent.
            _sleep.Dispose();
            _sleep = null;
        }
    }

    /// <summary>Applies one signal; exposed to tests, which drive the loop's decisions without its timing.</summary>
    internal void Apply(RunnerSignal signal)
    {
        try
        {
            ApplyCurrent(signal);
        }
        finally
        {
            // Applied or dropped as stale: either way the reader may send the next slice.
            (signal as JobsLoaded)?.Credits?.Return();
        }
    }

    private void ApplyCurrent(RunnerSignal signal)
    {
        if (signal is LeaseStarted started)
        {
            _epochs[started.Database] = started.Epoch;
            _scheduler.ForgetDatabase(started.Database);
            return;
        }

        if (!_epochs.TryGetValue(signal.Database, out var current) || current != signal.Epoch)
        {
            _metrics.StaleSignals.Inc();
            return;
        }

        switch (signal)
        {
            case DatabaseLoading loading:
                _scheduler.ForgetDatabase(loading.Database);
                break;
            case JobsLoaded loaded:
                // One call per slice: the row loop runs inside the scheduler, not through its interface a million times.
                _scheduler.Load(loaded.Database, CollectionsMarshal.AsSpan(loaded.Jobs));
                break;
            case JobsChanged changed:
                foreach (var facts in changed.Facts)
                {
                    _scheduler.Upsert(facts);
                }

                foreach (var uuid in changed.Gone)
                {
                    _scheduler.Remove(changed.Database, uuid);
                }

                break;
            case DatabaseReleased released:
                _epochs.Remove(released.Database);
                _scheduler.ForgetDatabase(released.Database);
                break;
        }
    }

    private void UpdateGauges()
    {
        var now = _time.GetUtcNow();
        LastHeartbeat = now;
        _metrics.Heartbeat.Set(now.ToUnixTimeMilliseconds() / 1000.0);

        // Counting channels is cheap but not free: four times a second is plenty for a scrape.
        if (now.UtcTicks - _lastGaugeUpdate < TimeSpan.TicksPerSecond / 4)
        {
            return;
        }

        _lastGaugeUpdate = now.UtcTicks;
        var channels = _scheduler.CountChannels();
        LastChannelCounts = channels;
        foreach (var counts in channels)
        {
            _metrics.ChannelCapacity.WithLabels(counts.Channel).Set(counts.Capacity);
            _metrics.ChannelJobs.WithLabels(counts.Channel, "queued").Set(counts.Queued);
            _metrics.ChannelJobs.WithLabels(counts.Channel, "running").Set(counts.Running);
            _metrics.ChannelJobs.WithLabels(counts.Channel, "failed").Set(counts.Failed);
            _metrics.ChannelJobs.WithLabels(counts.Channel, "waiting_eta").Set(counts.WaitingForEta);
        }
    }
}
