using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using QueueExporter.QueueJob.Logging;
using Prometheus;
using QueueExporter.QueueJob.Connection;
using QueueExporter.QueueJob.Options;
using QueueExporter.QueueJob.Web;
using QueueExporter.Scraper;
using QueueExporter.Scraper.Http;

namespace QueueExporter.Commands;

/// <summary><c>queue-exporter scrape</c>: the sidecar that exports queue_job state and log events on /metrics.</summary>
public static class ScrapeCommand
{
    /// <summary>Environment variable read for the basic-auth password when --auth-password is not given (keeps it out of ps).</summary>
    public const string AuthPasswordEnvironmentVariable = "QUEUE_EXPORTER_AUTH_PASSWORD";

    private static readonly DatabaseOptions DatabaseSelection = new();

    private static readonly MetricsOptions MetricsSelection = new();

    private static readonly WebConfigOption WebConfigSelection = new();

    private static readonly Option<bool> NoDatabase = new("--no-database")
    {
        Description = "Do not read any database: only follow --log-file.",
    };

    private static readonly Option<string[]> LogFile = new("--log-file")
    {
        Description = "Odoo log file to follow like tail -F, from its end (repeatable): counts lines by level and queue_job events.",
    };

    private static readonly Option<string> Listen = new("--listen")
    {
        Description = $"host:port serving /metrics. Default {ScraperOptions.DefaultListen} (loopback only).",
        DefaultValueFactory = _ => ScraperOptions.DefaultListen,
    };

    private static readonly Option<TimeSpan> Interval = DurationOption.Create(
        "--interval",
        "How often unfinished-state counts (never done/cancelled/failed), ages and runner sessions are read from each database (e.g. 15s, 500ms, 1m).",
        ScraperOptions.DefaultRefreshInterval);

    private static readonly Option<TimeSpan> TerminalInterval = DurationOption.Create(
        "--terminal-interval",
        "How often done/cancelled/failed totals are read, on their own loop; these rows are most of the table, so keep it slow. 0 disables them.",
        ScraperOptions.DefaultTerminalInterval,
        allowZero: true);

    private static readonly Option<TimeSpan> TerminalTimeout = DurationOption.Create(
        "--terminal-timeout",
        "Server-side statement_timeout of the done/cancelled/failed counts (their own: a slow count never delays the refresh).",
        ScraperOptions.DefaultTerminalTimeout);

    private static readonly Option<long> TerminalExactLimit = new("--terminal-exact-limit")
    {
        Description = $"A terminal state the planner estimates above this many rows is exported only as queue_job_jobs_estimated, not counted per channel (0: never count). Default {ScraperOptions.DefaultTerminalExactLimit}.",
        DefaultValueFactory = _ => ScraperOptions.DefaultTerminalExactLimit,
    };

    private static readonly Option<int> MaxChannels = new("--max-channels")
    {
        Description = $"Channels per database that keep their name in labels; later ones are exported as 'other'. Default {ScraperOptions.DefaultMaxChannels}.",
        DefaultValueFactory = _ => ScraperOptions.DefaultMaxChannels,
    };

    private static readonly Option<int> MaxFunctions = new("--max-functions")
    {
        Description = $"Job functions (model_name.method_name) per database that keep their name in queue_job_function_* labels; later ones are 'other'. Default {ScraperOptions.DefaultMaxFunctions}.",
        DefaultValueFactory = _ => ScraperOptions.DefaultMaxFunctions,
    };

    private static readonly Option<TimeSpan> ChannelIdle = DurationOption.Create(
        "--channel-idle",
        "A channel with no job and no completion for this long is dropped from /metrics (its slot freed).",
        ScraperOptions.DefaultChannelIdleTime);

    private static readonly Option<TimeSpan> StatementTimeout = DurationOption.Create(
        "--statement-timeout",
        "Server-side statement_timeout of every other query the scraper sends; a refresh that exceeds it counts as failed (gauges keep their last values).",
        ScraperOptions.DefaultStatementTimeout);

    private static readonly Option<string> LogFormat = new("--log-format")
    {
        Description = $"Format of the exporter's own log lines on stderr: {string.Join(", ", LoggingSetup.Formats)}.",
        DefaultValueFactory = _ => "simple",
    };

    private static readonly Option<LogLevel> LogLevelSelection = LogLevelOption.Create();

    private static readonly Option<string?> AuthUser = new("--auth-user")
    {
        Description = "Require HTTP basic auth on /metrics with this user (with --auth-password).",
    };

    private static readonly Option<string?> AuthPassword = new("--auth-password")
    {
        Description = $"Password for --auth-user. Default: ${AuthPasswordEnvironmentVariable} (preferable: the command line is visible to other users).",
    };

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var command = new Command("scrape", "Export queue_job state, completions and Odoo log events on /metrics (read-only; runs beside any queue_job runner). "
            + "Each database's refresh reads the unfinished jobs only; with the optional index from `queue-exporter schema install --monitoring-index` "
            + "it is an index-only scan (the log says at start whether a database has it; queue_job_scrape_monitoring_index).")
        {
            NoDatabase, LogFile, Listen, Interval, TerminalInterval, TerminalTimeout, TerminalExactLimit, StatementTimeout,
            MaxChannels, ChannelIdle, MaxFunctions, AuthUser, AuthPassword, LogFormat, LogLevelSelection,
        };
        DatabaseSelection.AddTo(command);
        MetricsSelection.AddTo(command);
        WebConfigSelection.AddTo(command);
        command.SetAction((parse, cancellationToken) => CommandFailure.RunAsync(
            () => RunAsync(parse, cancellationToken),
            () => DatabaseSelection.ResolveEndpoint(parse)));
        return command;
    }

    /// <summary>Builds the web application that serves /metrics, /healthz and its status page, guarded by <paramref name="web"/>, and runs the scraper's loops.</summary>
    public static WebApplication Build(ScraperOptions options, DatabaseEndpoint? endpoint, CollectorRegistry registry, string logFormat = "simple", LogLevel logLevel = LogLevel.Information, WebConfigFile? web = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = WebHostFactory.CreateBuilder();
        builder.Logging.AddQueueExporterConsole(logFormat, logLevel);
        var listen = ListenAddress.Parse(options.Listen);
        ListenPreflight.EnsureAvailable(listen);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(listen, web));
        builder.Services.AddQueueJobScraper(options, endpoint, registry);
        var app = builder.Build();
        app.UseWebConfig(web);
        app.MapQueueJobMetrics(options, registry);
        app.MapQueueExporterHealth();
        app.MapScraperStatusPage();
        return app;
    }

    private static async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var options = new ScraperOptions
        {
            ReadDatabases = !parse.GetValue(NoDatabase),
            Listen = parse.GetValue(Listen) ?? ScraperOptions.DefaultListen,
            RefreshInterval = parse.GetValue(Interval),
            TerminalInterval = parse.GetValue(TerminalInterval),
            TerminalTimeout = parse.GetValue(TerminalTimeout),
            TerminalExactLimit = parse.GetValue(TerminalExactLimit),
            StatementTimeout = parse.GetValue(StatementTimeout),
            MaxChannels = parse.GetValue(MaxChannels),
            ChannelIdleTime = parse.GetValue(ChannelIdle),
            MaxFunctions = parse.GetValue(MaxFunctions),
            AuthUser = parse.GetValue(AuthUser),
            AuthPassword = parse.GetValue(AuthPassword) ?? Environment.GetEnvironmentVariable(AuthPasswordEnvironmentVariable),
        };
        var settings = DatabaseSelection.Settings(parse);
        foreach (var database in DatabaseSelection.ResolveDatabaseNames(parse))
        {
            options.Databases.Add(database);
        }

        options.DatabaseFilter = DatabaseOptions.DatabaseFilter(settings, settings.WorkerHost ?? "127.0.0.1");

        foreach (var file in parse.GetValue(LogFile) ?? [])
        {
            options.LogFiles.Add(file);
        }

        var endpoint = options.ReadDatabases ? DatabaseEndpoint.Resolve(DatabaseSelection.ExplicitUrl(parse), settings) : null;
        var web = WebConfigSelection.Load(parse);
        using var metrics = MetricsSelection.Create(parse);
        await using var app = Build(options, endpoint, metrics.Registry, parse.GetValue(LogFormat) ?? "simple", parse.GetValue(LogLevelSelection), web);
        try
        {
            await app.StartAsync(cancellationToken);
            foreach (var url in app.Urls)
            {
                app.Logger.LogInformation("scrape listening on {Url}{Path}", url.TrimEnd('/'), MetricsEndpointExtensions.MetricsPath);
            }

            await app.WaitForShutdownAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl+C or SIGTERM: the normal way out.
        }

        return 0;
    }
}
