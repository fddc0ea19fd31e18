using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Prometheus;
using QueueExporter.QueueJob.Connection;
using QueueExporter.Scraper.Database;
using QueueExporter.Scraper.Http;
using QueueExporter.Scraper.Logs;

namespace QueueExporter.Scraper;

/// <summary>Registers the scraper's services.</summary>
public static class ScraperServiceCollectionExtensions
{
    /// <summary>
    /// Adds the database scraper (when <paramref name="endpoint"/> is given and
    /// <see cref="ScraperOptions.ReadDatabases"/> is set) and the log followers, publishing on
    /// <paramref name="registry"/>.
    /// </summary>
    /// <exception cref="ArgumentException">When the options are invalid; the message names each bad setting.</exception>
    public static IServiceCollection AddQueueJobScraper(
        this IServiceCollection services,
        ScraperOptions options,
        DatabaseEndpoint? endpoint,
        CollectorRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(registry);
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(Environment.NewLine, problems));
        }

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(options);
        services.AddSingleton(registry);
        services.AddSingleton(new LogMetrics(registry));
        services.AddSingleton(new ScraperMetrics(registry, options.MaxChannels, options.ChannelIdleTime));
        services.AddHealthChecks().AddCheck<ScraperHealthCheck>("scraper");
        if (options.LogFiles.Count > 0)
        {
            services.AddHostedService<LogFollowerService>();
        }

        if (options.ReadDatabases && endpoint is not null)
        {
            services.AddSingleton(endpoint);
            services.AddHostedService<DatabaseScraperService>();
        }

        return services;
    }
}
