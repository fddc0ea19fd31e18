using Microsoft.AspNetCore.Builder;
using Prometheus;

namespace QueueExporter.Scraper.Http;

/// <summary>Serves the scraper's registry on <c>/metrics</c>, behind basic auth when configured.</summary>
public static class MetricsEndpointExtensions
{
    /// <summary>The path Prometheus scrapes.</summary>
    public const string MetricsPath = "/metrics";

    /// <summary>Adds basic auth (if <paramref name="options"/> asks for it) and the /metrics endpoint.</summary>
    public static WebApplication MapQueueJobMetrics(this WebApplication app, ScraperOptions options, CollectorRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(registry);
        if (options.RequiresAuthentication)
        {
            app.UseMiddleware<BasicAuthenticationMiddleware>(options.AuthUser!, options.AuthPassword!);
        }

        // Scrapes only serialise the registry: every value was set by the refresh loops beforehand.
        app.MapMetrics(settings => settings.Registry = registry, MetricsPath);
        return app;
    }
}
