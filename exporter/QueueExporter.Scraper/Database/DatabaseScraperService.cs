using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using QueueExporter.QueueJob.Connection;

namespace QueueExporter.Scraper.Database;

/// <summary>
/// Finds the databases to read (the named ones, or every database with a queue_job table) and
/// runs, for each, a <see cref="DatabaseStateRefresher"/>, a <see cref="TerminalTotalsRefresher"/>
/// and a <see cref="CompletionFollower"/>.
/// Each database has its own loops, so one that is down or slow never holds up the others.
/// </summary>
public sealed partial class DatabaseScraperService : BackgroundService
{
    private readonly DatabaseEndpoint _endpoint;
    private readonly ScraperOptions _options;
    private readonly ScraperMetrics _metrics;
    private readonly TimeProvider _clock;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;

    /// <summary>Creates the service for the server at <paramref name="endpoint"/>.</summary>
    public DatabaseScraperService(DatabaseEndpoint endpoint, ScraperOptions options, ScraperMetrics metrics, TimeProvider clock, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _endpoint = ScrapeConnections.WithStatementTimeout(endpoint, options.StatementTimeout);
        _options = options;
        _metrics = metrics;
        _clock = clock;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<DatabaseScraperService>();
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var resolver = new QueueJobDatabases(_endpoint, [.. _options.Databases], ScrapeConnections.ApplicationName, _options.DatabaseFilter);
        var databases = await ResolveDatabasesAsync(resolver, stoppingToken);
        if (databases is null)
        {
            return;
        }

        var running = new Dictionary<string, Task>(StringComparer.Ordinal);
        StartNew(databases, running, stoppingToken);
        var discovering = _options.Databases.Count == 0 && _endpoint.Database is null;
        if (discovering)
        {
            await RediscoverAsync(resolver, running, stoppingToken);
        }

        await Task.WhenAll(running.Values);
    }

    // Databases created after start (a new tenant, a restored copy) are picked up; ones that
    // disappear keep reporting queue_job_scrape_up 0 so that their loss is visible.
    private async Task RediscoverAsync(QueueJobDatabases resolver, Dictionary<string, Task> running, CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.DiscoveryInterval, _clock);
        string? lastError = null;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    StartNew(await resolver.DiscoverAsync(stoppingToken), running, stoppingToken);
                    lastError = null;
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    lastError = Report(lastError, DatabaseErrorDescriber.Describe(ex, _endpoint));
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Normal stop.
        }
    }

    private void StartNew(IReadOnlyList<string> databases, Dictionary<string, Task> running, CancellationToken stoppingToken)
    {
        var added = databases.Where(d => !running.ContainsKey(d)).ToList();
        if (added.Count == 0)
        {
            return;
        }

        LogDatabases(_logger, string.Join(", ", added));
        foreach (var database in added)
        {
            running[database] = Task.Run(() => RunDatabaseAsync(database, stoppingToken), stoppingToken);
        }
    }

    private async Task RunDatabaseAsync(string database, CancellationToken stoppingToken)
    {
        await using var refresher = new DatabaseStateRefresher(
            database, _endpoint, _options, _metrics, _clock, _loggerFactory.CreateLogger<DatabaseStateRefresher>());
        await using var totals = new TerminalTotalsRefresher(
            database, _endpoint, _options, _metrics, _clock, _loggerFactory.CreateLogger<TerminalTotalsRefresher>());
        await using var follower = new CompletionFollower(database, _endpoint, _options, _metrics, _clock, _loggerFactory);
        await Task.WhenAll(refresher.RunAsync(stoppingToken), totals.RunAsync(stoppingToken), follower.RunAsync(stoppingToken));
    }

    // The server may be down when the exporter starts: keep trying, once per refresh interval,
    // logging each distinct failure once.
    private async Task<IReadOnlyList<string>?> ResolveDatabasesAsync(QueueJobDatabases resolver, CancellationToken stoppingToken)
    {
        string? lastError = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var databases = await resolver.ResolveAsync(stoppingToken);
                if (databases.Count > 0)
                {
                    return databases;
                }

                lastError = Report(lastError, "no database on the server has a queue_job table");
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                lastError = Report(lastError, DatabaseErrorDescriber.Describe(ex, _endpoint));
            }

            try
            {
                await Task.Delay(_options.RefreshInterval, _clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return null;
            }
        }

        return null;
    }

    private string Report(string? lastError, string error)
    {
        if (error != lastError)
        {
            LogResolveFailed(_logger, _endpoint.Describe(), error);
        }

        return error;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "scraping queue_job in: {Databases}")]
    private static partial void LogDatabases(ILogger logger, string databases);

    [LoggerMessage(Level = LogLevel.Error, Message = "cannot list the databases of {Server}: {Error}; retrying")]
    private static partial void LogResolveFailed(ILogger logger, string server, string error);
}
