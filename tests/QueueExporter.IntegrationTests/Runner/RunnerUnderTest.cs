using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Prometheus;
using QueueExporter.Runner;
using QueueExporter.TestSupport;

namespace QueueExporter.IntegrationTests.Runner;

/// <summary>A <see cref="JobRunner"/> started against test databases with short intervals, its own metrics registry, stopped on dispose.</summary>
public sealed class RunnerUnderTest : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _running;

    private RunnerUnderTest(JobRunner runner, CollectorRegistry registry, string applicationName)
    {
        Runner = runner;
        Registry = registry;
        ApplicationName = applicationName;
        _running = Task.Run(() => runner.RunAsync(_stop.Token));
    }

    public JobRunner Runner { get; }

    public CollectorRegistry Registry { get; }

    /// <summary>application_name of this runner's sessions (to find them in pg_stat_activity).</summary>
    public string ApplicationName { get; }

    public static RunnerUnderTest Start(TestDatabase database, Uri workerUrl, string channels, Func<RunnerOptions, RunnerOptions>? adjust = null)
    {
        var applicationName = "qe-runner-test-" + Guid.NewGuid().ToString("N")[..8];
        var options = new RunnerOptions
        {
            Endpoint = database.Endpoint,
            Databases = [database.Name],
            Channels = channels,
            WorkerUrl = workerUrl,
            RescueInterval = TimeSpan.FromMilliseconds(200),
            StandbyRetryInterval = TimeSpan.FromMilliseconds(300),
            RequeueDelayAfterConnectionError = TimeSpan.FromMilliseconds(100),
            StopGracePeriod = TimeSpan.FromSeconds(2),
            ApplicationName = applicationName,
        };
        if (adjust is not null)
        {
            options = adjust(options);
        }

        var registry = Metrics.NewCustomRegistry();
        var runner = new JobRunner(options, new RunnerMetrics(registry), NullLoggerFactory.Instance);
        return new RunnerUnderTest(runner, registry, applicationName);
    }

    public async Task<string> MetricsTextAsync()
    {
        using var stream = new MemoryStream();
        await Registry.CollectAndExportAsTextAsync(stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>The value of one exported sample line (name with labels exactly as exported), or null.</summary>
    public async Task<double?> SampleAsync(string nameWithLabels)
    {
        foreach (var line in (await MetricsTextAsync()).Split('\n'))
        {
            if (line.StartsWith(nameWithLabels + " ", StringComparison.Ordinal))
            {
                return double.Parse(line[(nameWithLabels.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return null;
    }

    /// <summary>Dispatches that reached the worker: ok, or timeout (normal when a busy machine makes the fake worker slower than 1 s).</summary>
    public async Task<double> DeliveredAsync(TestDatabase database, string channel) =>
        (await SampleAsync($"queue_runner_dispatches_total{{server=\"{database.ServerLabel}\",database=\"{database.Name}\",channel=\"{channel}\",outcome=\"ok\"}}") ?? 0)
        + (await SampleAsync($"queue_runner_dispatches_total{{server=\"{database.ServerLabel}\",database=\"{database.Name}\",channel=\"{channel}\",outcome=\"timeout\"}}") ?? 0);

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await _running;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await StopAsync();
        }

        _stop.Dispose();
    }
}
