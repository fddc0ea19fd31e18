using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace QueueExporter.QueueJob.Web;

/// <summary>
/// <c>/healthz</c> the same way on every listener: 200 "ok" or 503 "unhealthy", then each check's own
/// lines, so that the probe's body is the diagnosis a person reads.
/// </summary>
public static class HealthEndpoint
{
    /// <summary>The path probes use.</summary>
    public const string Path = "/healthz";

    /// <summary>Maps the registered health checks at <see cref="Path"/>, answered in plain text.</summary>
    public static WebApplication MapQueueExporterHealth(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapHealthChecks(Path, new HealthCheckOptions
        {
            ResponseWriter = (context, report) =>
            {
                context.Response.ContentType = "text/plain; charset=utf-8";
                var body = (report.Status == HealthStatus.Healthy ? "ok\n" : "unhealthy\n")
                    + string.Concat(report.Entries.Values.Select(e => e.Description));
                return context.Response.WriteAsync(body);
            },
        });
        return app;
    }
}
