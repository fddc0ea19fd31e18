using System.Text;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace QueueExporter.Runner.Hosting;

/// <summary>
/// /healthz of the runner: healthy once every database found at start has been tried, while the loop
/// is alive and every database it should serve is served (led here, or by another runner it stands by for). The description names each database's
/// status, and why one is not served, so the probe's body is the diagnosis.
/// </summary>
internal sealed class RunnerHealthCheck(JobRunner runner) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var lines = new StringBuilder();
        var healthy = runner.IsAlive;
        lines.Append("runner loop: ").Append(healthy ? "alive" : "not running").Append('\n');
        if (!runner.HasTriedEveryDatabase)
        {
            healthy = false;
            lines.Append("databases: starting, not every database tried yet\n");
        }

        if (runner.DiscoveryFailure is { } failure)
        {
            // New databases are not picked up while discovery fails.
            healthy = false;
            lines.Append("discovery: failed: ").Append(failure).Append('\n');
        }

        if (runner.FleetStatus is { } fleet)
        {
            // Not a member: the databases led here stay led, but the fleet cannot rebalance around this replica.
            healthy &= runner.IsFleetMember;
            lines.Append("fleet: ").Append(fleet).Append('\n');
        }

        foreach (var (database, (served, status, reason)) in runner.DatabaseHealth.OrderBy(d => d.Key, StringComparer.Ordinal))
        {
            healthy &= served;
            lines.Append("db ").Append(database).Append(": ").Append(status);
            if (reason.Length > 0)
            {
                lines.Append(": ").Append(reason);
            }

            lines.Append('\n');
        }

        var description = lines.ToString();
        return Task.FromResult(healthy ? HealthCheckResult.Healthy(description) : HealthCheckResult.Unhealthy(description));
    }
}
