using Microsoft.Extensions.Hosting;

namespace QueueExporter.Runner.Hosting;

/// <summary>Runs the <see cref="JobRunner"/> for the host's lifetime; the host's stop (SIGTERM) is the runner's graceful stop.</summary>
internal sealed class RunnerHostedService(JobRunner runner) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => runner.RunAsync(stoppingToken);
}
