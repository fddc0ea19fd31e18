using Prometheus;

namespace QueueExporter.Monitoring;

/// <summary>
/// The metrics registry of one long-running command (runner, worker, scrape): the command's own
/// metrics, <see cref="BuildInfo"/>, the standard <c>process_*</c> metrics and, only when asked, the .NET runtime's and the
/// libraries' meters and event counters (GC, thread pool, Npgsql, HttpClient, Kestrel, msquic).
/// Those are off by default: their names do not follow Prometheus conventions (promtool reports
/// them), they triple the size of a scrape, and they say nothing about the queue.
/// </summary>
public sealed class ExporterMetrics : IDisposable
{
    private readonly List<IDisposable> _adapters = [];

    private ExporterMetrics(CollectorRegistry registry) => Registry = registry;

    /// <summary>Where the command's metrics go; served on its /metrics.</summary>
    public CollectorRegistry Registry { get; }

    /// <summary>
    /// Must run before anything touches <see cref="Metrics.DefaultRegistry"/>: prometheus-net
    /// otherwise starts its runtime collectors and adapters on the global registry by itself.
    /// </summary>
    public static void SuppressLibraryDefaults() => Metrics.SuppressDefaultMetrics();

    /// <summary>
    /// A new registry for <paramref name="component"/> (runner, worker, scrape) with its build info, the
    /// process metrics, and the runtime ones if <paramref name="runtimeMetrics"/>.
    /// </summary>
    public static ExporterMetrics Create(string component, bool runtimeMetrics)
    {
        var metrics = new ExporterMetrics(Metrics.NewCustomRegistry());
        BuildInfo.Register(metrics.Registry, component);
        ProcessMetrics.Register(metrics.Registry);
        if (runtimeMetrics)
        {
            // Both options: the adapters' MetricFactory defaults to the global registry's, whatever Registry says.
            var factory = Metrics.WithCustomRegistry(metrics.Registry);
            metrics._adapters.Add(MeterAdapter.StartListening(new MeterAdapterOptions { Registry = metrics.Registry, MetricFactory = factory }));
            metrics._adapters.Add(EventCounterAdapter.StartListening(new EventCounterAdapterOptions { Registry = metrics.Registry, MetricFactory = factory }));
        }

        return metrics;
    }

    /// <summary>Stops the runtime adapters, if any.</summary>
    public void Dispose()
    {
        foreach (var adapter in _adapters)
        {
            adapter.Dispose();
        }

        _adapters.Clear();
    }
}
