using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;
using QueueExporter.Runner.Status;

namespace QueueExporter.Runner.Hosting;

/// <summary>Registration of the job runner in a host.</summary>
public static class RunnerServiceCollectionExtensions
{
    /// <summary>
    /// Adds the job runner as a hosted service, its metrics in <paramref name="registry"/>, and
    /// <see cref="JobRunner"/> itself, and its health check (loop alive, every database served). Validates <paramref name="options"/> now.
    /// </summary>
    public static IServiceCollection AddQueueRunner(this IServiceCollection services, RunnerOptions options, CollectorRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(options);
        services.AddSingleton(new RunnerMetrics(registry));
        services.AddSingleton(sp => new JobRunner(
            sp.GetRequiredService<RunnerOptions>(),
            sp.GetRequiredService<RunnerMetrics>(),
            sp.GetRequiredService<ILoggerFactory>(),
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IRunnerStatus>(sp => new JobRunnerStatus(sp.GetRequiredService<JobRunner>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IHostedService, RunnerHostedService>();
        services.AddHealthChecks().AddCheck<RunnerHealthCheck>("runner");
        return services;
    }
}
