using System.Globalization;
using System.Text;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using QueueExporter.Scraper.Database;

namespace QueueExporter.Scraper.Http;

/// <summary>
/// /healthz of the scraper: ready once every database it reads has been refreshed, and only while the
/// last refresh of each succeeded; before the first refresh, or with no database found, it is not ready
/// (its gauges would be empty). With <c>--no-database</c> only the log followers run, and it is ready.
/// </summary>
internal sealed class ScraperHealthCheck(ScraperOptions options, ScraperMetrics metrics) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var lines = new StringBuilder();
        var healthy = true;
        if (!options.ReadDatabases)
        {
            lines.Append("databases: not read (--no-database)\n");
        }
        else
        {
            var databases = metrics.Status.Databases;
            if (databases.Count == 0)
            {
                healthy = false;
                lines.Append("databases: none refreshed yet (starting, or no database with a queue_job table found)\n");
            }

            foreach (var database in databases)
            {
                healthy &= database.Up;
                lines.Append("db ").Append(database.Database).Append(": ");
                lines.Append(database.Up
                    ? string.Create(CultureInfo.InvariantCulture, $"up, refreshed {database.LastSuccess:yyyy-MM-dd HH:mm:ss}Z")
                    : "down: " + database.Error);
                lines.Append('\n');
            }
        }

        if (options.LogFiles.Count > 0)
        {
            lines.Append("log files followed: ").Append(options.LogFiles.Count).Append('\n');
        }

        var description = lines.ToString();
        return Task.FromResult(healthy ? HealthCheckResult.Healthy(description) : HealthCheckResult.Unhealthy(description));
    }
}
