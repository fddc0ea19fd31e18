using Prometheus;

namespace QueueExporter.Worker;

/// <summary>The registry the worker's metrics live in, so that <c>/metrics</c> serves that one.</summary>
internal sealed record WorkerMetricsRegistry(CollectorRegistry Registry);
