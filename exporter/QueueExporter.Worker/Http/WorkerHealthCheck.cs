using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Npgsql;
using QueueExporter.QueueJob.Connection;

namespace QueueExporter.Worker.Http;

/// <summary>
/// /healthz of the worker: ready while it is not stopping (a stopping worker answers runjob with 503)
/// and its PostgreSQL server answers a query; the worker opens databases only when a job asks, so this
/// probe is what tells a load balancer, before the first job, that jobs could run here.
/// </summary>
internal sealed class WorkerHealthCheck(WorkerOptions options, IHostApplicationLifetime lifetime) : IHealthCheck
{
    /// <summary>A probe that waits longer for the server than this counts it unreachable.</summary>
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(3);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy("worker: stopping, runjob calls are refused\n");
        }

        var endpoint = options.Endpoint!;
        var database = endpoint.Database ?? options.Databases.FirstOrDefault() ?? "postgres";
        var target = endpoint.WithDatabase(database);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ProbeTimeout);
        try
        {
            var connectionString = new NpgsqlConnectionStringBuilder(target.ToConnectionString(WorkerOptions.ApplicationName, pooling: false))
            {
                Timeout = (int)Math.Ceiling(ProbeTimeout.TotalSeconds),
            }.ConnectionString;
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync(timeout.Token);
            await using var command = new NpgsqlCommand("SELECT 1", connection);
            await command.ExecuteScalarAsync(timeout.Token);
            return HealthCheckResult.Healthy($"worker: accepting runjob calls\ndatabase server {endpoint.Host}:{endpoint.Port}: reachable\n");
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or TimeoutException or InvalidOperationException)
        {
            var reason = ex is OperationCanceledException ? $"no answer within {ProbeTimeout.TotalSeconds:0}s" : DatabaseErrorDescriber.Describe(ex, target);
            return HealthCheckResult.Unhealthy($"worker: accepting runjob calls\ndatabase server {endpoint.Host}:{endpoint.Port}: unreachable: {reason}\n");
        }
    }
}
