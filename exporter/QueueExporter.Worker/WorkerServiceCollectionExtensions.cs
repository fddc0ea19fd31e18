using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Prometheus;
using QueueExporter.Worker.Demo;
using QueueExporter.Worker.Execution;
using QueueExporter.Worker.Handlers;
using QueueExporter.Worker.Http;
using QueueExporter.Worker.Storage;

namespace QueueExporter.Worker;

/// <summary>Registers the worker in an ASP.NET Core application: services, then endpoints.</summary>
public static class WorkerServiceCollectionExtensions
{
    /// <summary>
    /// Adds the worker's services. <paramref name="options"/> is validated now (a bad value throws
    /// with one line naming it). Metrics go to <paramref name="metricsRegistry"/>, the global registry
    /// when null; <paramref name="registerHandlers"/> adds the application's job functions.
    /// A <see cref="TimeProvider"/> already registered is used; else the system clock.
    /// </summary>
    public static IServiceCollection AddQueueJobWorker(
        this IServiceCollection services,
        WorkerOptions options,
        CollectorRegistry? metricsRegistry = null,
        Action<JobHandlerRegistry>? registerHandlers = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(options);
        services.AddSingleton(sp =>
        {
            var registry = new JobHandlerRegistry();
            if (options.DemoHandlers)
            {
                registry.AddDemoHandlers(sp.GetRequiredService<TimeProvider>());
            }

            registerHandlers?.Invoke(registry);
            return registry;
        });
        services.AddSingleton(sp => new WorkerMetrics(metricsRegistry ?? Metrics.DefaultRegistry, sp.GetRequiredService<JobHandlerRegistry>()));
        services.AddSingleton(new WorkerMetricsRegistry(metricsRegistry ?? Metrics.DefaultRegistry));
        services.AddSingleton(sp => new WorkerDatabases(options, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<WorkerDatabases>>()));
        services.AddSingleton(new JobOutcomeDecider(options.DefaultRetryDelay));
        services.AddSingleton(new BasicAuthentication(options.HttpAuthUser, options.HttpAuthPassword));
        services.AddSingleton<JobExecutor>();
        services.AddHealthChecks().AddCheck<WorkerHealthCheck>("worker");
        return services;
    }

    /// <summary>
    /// Maps <c>GET /queue_job/runjob</c> and, unless <paramref name="metricsPath"/> is null,
    /// the worker's metrics (by default at <c>/metrics</c>, without authentication, as Prometheus expects).
    /// </summary>
    public static IEndpointRouteBuilder MapQueueJobWorker(this IEndpointRouteBuilder endpoints, string? metricsPath = "/metrics")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGet(RunJobEndpoint.Path, (Func<Microsoft.AspNetCore.Http.HttpContext, Task<Microsoft.AspNetCore.Http.IResult>>)RunJobEndpoint.HandleAsync);
        if (metricsPath is not null)
        {
            endpoints.MapMetrics(metricsPath, endpoints.ServiceProvider.GetRequiredService<WorkerMetricsRegistry>().Registry);
        }

        // Created now so that the metrics exist (at zero) before the first job.
        _ = endpoints.ServiceProvider.GetRequiredService<WorkerMetrics>();
        return endpoints;
    }
}
