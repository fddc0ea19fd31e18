using System.CommandLine;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;
using QueueExporter.QueueJob.Configuration;
using QueueExporter.QueueJob.Connection;
using QueueExporter.QueueJob.Logging;
using QueueExporter.QueueJob.Options;
using QueueExporter.QueueJob.Web;
using QueueExporter.Runner;
using QueueExporter.Runner.Channels;
using QueueExporter.Runner.Hosting;
using QueueExporter.Runner.Servers;
using QueueExporter.Runner.Status;

namespace QueueExporter.Commands;

/// <summary><c>queue-exporter runner</c>: the OCA-compatible job runner, with /metrics and /healthz.</summary>
internal static class RunnerCommand
{
    public const string DefaultListen = "127.0.0.1:9731";

    public static Command Create()
    {
        var database = new DatabaseOptions(severalServers: true);
        var metrics = new MetricsOptions();
        var web = new WebConfigOption();
        var channels = new Option<string?>("--channels") { Description = "Channels as OCA writes them, e.g. root:4,root.mail:1:sequential,root.edi:2:throttle=5. Default: $ODOO_QUEUE_JOB_CHANNELS, else [queue_job] channels of the Odoo config file, else root:1." };
        var workerUrl = new Option<string[]>("--worker-url")
        {
            Description = "Base URL of the Odoo HTTP workers (runjob is GET {url}/queue_job/runjob). Default: $ODOO_QUEUE_JOB_SCHEME://$ODOO_QUEUE_JOB_HOST:$ODOO_QUEUE_JOB_PORT, else the Odoo config file's [queue_job] scheme, host, port (then http_interface, http_port), else http://127.0.0.1:8069. With several --database-url: once for all servers, or once per server in the same order.",
            Arity = ArgumentArity.ZeroOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        var authUser = new Option<string?>("--http-auth-user") { Description = "Basic-auth user for runjob calls. Default: $ODOO_QUEUE_JOB_HTTP_AUTH_USER, else [queue_job] http_auth_user." };
        var authPassword = new Option<string?>("--http-auth-password") { Description = "Basic-auth password for runjob calls. Default: $ODOO_QUEUE_JOB_HTTP_AUTH_PASSWORD, else [queue_job] http_auth_password (preferable: the command line is visible to other users)." };
        var listen = new Option<string>("--listen") { Description = "host:port (or http://host:port) serving /metrics and /healthz; host: an IP address, localhost or *; port 0: any free port.", DefaultValueFactory = _ => DefaultListen };
        var rescueTimeout = DurationOption.Create("--rescue-timeout", "How long after which an enqueued job is found dead in databases without queue_job_lock (started jobs are left alone there).", TimeSpan.FromSeconds(300));
        var deadJobGrace = DurationOption.Create("--dead-job-grace", "Time after enqueueing before a job whose queue_job_lock row is missing or free is found dead (OCA: 10s).", TimeSpan.FromSeconds(10));
        var rescueInterval = DurationOption.Create("--rescue-interval", "Time between dead-job rescues on each database this runner leads.", TimeSpan.FromSeconds(5));
        var safetyPoll = DurationOption.Create("--safety-poll-interval", "Time between full re-reads of active jobs (jittered ±20%) in case a notification was lost.", TimeSpan.FromSeconds(60));
        var httpTimeout = DurationOption.Create("--http-timeout", "How long to wait for a runjob answer; no answer is normal (the worker keeps the job). OCA: 1s.", TimeSpan.FromSeconds(1));
        var standbyRetry = DurationOption.Create("--standby-retry-interval", "Time between attempts at the leader lock while another runner holds it (OCA: 5s).", TimeSpan.FromSeconds(5));
        var stopGrace = DurationOption.Create("--stop-grace-period", "How long in-flight runjob calls may take to finish on SIGTERM.", TimeSpan.FromSeconds(10));
        var discoveryInterval = DurationOption.Create("--discovery-interval", "Time between listings of the server's databases when no database is named: new ones are served, gone ones stopped, without a restart.", TimeSpan.FromSeconds(60));
        var poolSize = new Option<int>("--max-connections-per-database") { Description = "Pooled connections per database at most, beside its one listening session; idle ones close after 5 s, so a database at rest holds one connection.", DefaultValueFactory = _ => 4 };
        var maxConnections = new Option<int>("--max-connections") { Description = "Pooled connections in use at once across all databases, beside one listening session per database (default fits beside Odoo under PostgreSQL's max_connections = 100).", DefaultValueFactory = _ => 16 };
        var fleet = new Option<bool>("--fleet") { Description = "Run as one replica of a fleet: replicas pointed at the same server divide its databases among themselves (membership through advisory locks in --fleet-database), and take over a dead replica's share. See docs/runner.md, \"Running a fleet\"." };
        var fleetDatabase = new Option<string>("--fleet-database") { Description = "Database where fleet replicas hold their membership locks (every replica must name the same one).", DefaultValueFactory = _ => "postgres" };
        var fleetInterval = DurationOption.Create("--fleet-interval", "Time between reads of the fleet's live replicas; a dead replica's databases are led again within about twice this plus --standby-retry-interval.", TimeSpan.FromSeconds(5));
        var capacityScope = new Option<string>("--capacity-scope") { Description = "What channel capacities count: runner (across every database this runner leads, as OCA's runner), server (each --database-url's databases together: one Odoo installation's workers each) or database (each database gets the capacities for itself, whichever replica leads it).", DefaultValueFactory = _ => "runner" };
        var logFormat = new Option<string>("--log-format")
        {
            Description = $"Console log format: {string.Join(", ", LoggingSetup.Formats)} (odoo: Odoo's own line format and OCA's logger names, for existing log tooling).",
            DefaultValueFactory = _ => "simple",
        };

        var logLevel = LogLevelOption.Create();

        var command = new Command("runner", "Run queue_job jobs like OCA's job runner (stop Odoo's with channels root:0): leader lock per database, LISTEN, channels, runjob calls, dead-job rescue; metrics on --listen.");
        database.AddTo(command);
        metrics.AddTo(command);
        web.AddTo(command);
        foreach (var option in (Option[])[channels, workerUrl, authUser, authPassword, listen, rescueTimeout, deadJobGrace, rescueInterval, safetyPoll, httpTimeout, standbyRetry, stopGrace, discoveryInterval, poolSize, maxConnections, fleet, fleetDatabase, fleetInterval, capacityScope, logFormat, logLevel])
        {
            command.Options.Add(option);
        }

        command.SetAction((parse, cancellationToken) => CommandFailure.RunAsync(
            async () =>
            {
                var settings = database.Settings(parse);
                var otherUrls = database.OtherUrls(parse);
                var workers = ResolveWorkerUrls(parse.GetValue(workerUrl) ?? [], 1 + otherUrls.Count, settings);
                var options = new RunnerOptions
                {
                    Endpoint = DatabaseEndpoint.Resolve(database.ExplicitUrl(parse), settings),
                    Databases = otherUrls.Count == 0 ? database.ResolveDatabaseNames(parse) : NoNamedDatabases(parse, database, settings),
                    DatabaseFilter = DatabaseOptions.DatabaseFilter(settings, workers[0].Host),
                    OtherServers = [.. otherUrls.Select((url, i) => RunnerServer.For(DatabaseEndpoint.Resolve(url, settings), [], DatabaseOptions.DatabaseFilter(settings, workers[i + 1].Host), workers[i + 1]))],
                    Channels = ResolveChannels(parse.GetValue(channels), settings),
                    WorkerUrl = workers[0],
                    HttpAuthUser = parse.GetValue(authUser) ?? settings.HttpAuthUser,
                    HttpAuthPassword = parse.GetValue(authPassword) ?? settings.HttpAuthPassword,
                    RescueTimeout = parse.GetValue(rescueTimeout),
                    DeadJobGrace = parse.GetValue(deadJobGrace),
                    RescueInterval = parse.GetValue(rescueInterval),
                    SafetyPollInterval = parse.GetValue(safetyPoll),
                    HttpTimeout = parse.GetValue(httpTimeout),
                    StandbyRetryInterval = parse.GetValue(standbyRetry),
                    StopGracePeriod = parse.GetValue(stopGrace),
                    DiscoveryInterval = parse.GetValue(discoveryInterval),
                    MaxPoolSizePerDatabase = AtLeastOne(parse.GetValue(poolSize), "--max-connections-per-database"),
                    MaxConnections = AtLeastOne(parse.GetValue(maxConnections), "--max-connections"),
                    Fleet = parse.GetValue(fleet),
                    FleetDatabase = parse.GetValue(fleetDatabase) is { Length: > 0 } coordination && !string.IsNullOrWhiteSpace(coordination) ? coordination : throw new ArgumentException("--fleet-database must name a database"),
                    FleetInterval = parse.GetValue(fleetInterval),
                    CapacityScope = ParseCapacityScope(parse.GetValue(capacityScope)),
                };
                try
                {
                    options.Validate();
                }
                catch (ChannelConfigurationException ex)
                {
                    throw new ArgumentException(ex.Message, ex);
                }

                var format = parse.GetValue(logFormat)!;
                if (!LoggingSetup.Formats.Contains(format))
                {
                    throw new ArgumentException($"--log-format must be one of {string.Join(", ", LoggingSetup.Formats)}, got '{format}'");
                }

                var webConfig = web.Load(parse);
                using var exporterMetrics = metrics.Create(parse);
                await using var app = BuildHost(options, parse.GetValue(listen)!, exporterMetrics.Registry, format, parse.GetValue(logLevel), webConfig);
                await app.StartAsync(cancellationToken);
                try
                {
                    await app.WaitForShutdownAsync(cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    // Ctrl-C or SIGTERM: the normal way out; stopping the host stops the runner gracefully.
                }
                return 0;
            },
            () => database.ResolveEndpoint(parse)));
        return command;
    }

    /// <summary>The host: the runner as a hosted service; its status page at /, /metrics and /healthz on <paramref name="listen"/>, guarded by <paramref name="web"/>.</summary>
    internal static WebApplication BuildHost(RunnerOptions options, string listen, CollectorRegistry registry, string logFormat = "simple", LogLevel logLevel = LogLevel.Information, WebConfigFile? web = null)
    {
        var builder = WebHostFactory.CreateBuilder();
        builder.Logging.AddQueueExporterConsole(logFormat, logLevel);
        var endpoint = ListenAddress.Parse(listen);
        ListenPreflight.EnsureAvailable(endpoint);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(endpoint, web));
        builder.Services.AddQueueRunner(options, registry);
        var app = builder.Build();
        app.UseWebConfig(web);
        app.MapMetrics("/metrics", registry);

        // Plain text: "ok" or "unhealthy", then one line for the loop and one per database with its status and why.
        app.MapQueueExporterHealth();
        app.MapRunnerStatusPage();
        return app;
    }

    /// <summary>--channels, else ODOO_QUEUE_JOB_CHANNELS, else [queue_job] channels, else root:1 (OCA's order).</summary>
    internal static string ResolveChannels(string? explicitChannels, OdooSettings settings) =>
        !string.IsNullOrWhiteSpace(explicitChannels) ? explicitChannels
        : settings.Channels ?? ChannelConfigurationParser.Default;

    /// <summary>
    /// --worker-url, else scheme://host:port from ODOO_QUEUE_JOB_SCHEME|HOST|PORT, else [queue_job]
    /// scheme|host|port, else Odoo's http_interface|http_port, each part on its own as OCA does;
    /// defaults http, 127.0.0.1 (OCA: localhost, which may resolve to ::1 first), 8069.
    /// </summary>
    internal static Uri ResolveWorkerUrl(string? explicitUrl, OdooSettings settings)
    {
        if (!string.IsNullOrWhiteSpace(explicitUrl))
        {
            return Uri.TryCreate(explicitUrl, UriKind.Absolute, out var url) ? url : throw new ArgumentException($"--worker-url is not an absolute URL: '{explicitUrl}'");
        }

        var scheme = settings.WorkerScheme ?? "http";
        var host = settings.WorkerHost ?? "127.0.0.1";
        var port = settings.WorkerPort ?? "8069";
        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var portNumber) || portNumber is < 1 or > 65535)
        {
            throw new ArgumentException($"the worker port (ODOO_QUEUE_JOB_PORT, [queue_job] port or http_port) is not a port number: '{port}'");
        }

        return Uri.TryCreate($"{scheme}://{host}:{portNumber}", UriKind.Absolute, out var built)
            ? built
            : throw new ArgumentException($"the worker scheme and host (ODOO_QUEUE_JOB_SCHEME|HOST, [queue_job] scheme|host) do not make a URL: '{scheme}://{host}'");
    }

    /// <summary>
    /// One worker URL per server: none given, the default for all (<see cref="ResolveWorkerUrl"/>); one, the
    /// same for all; else exactly one per <c>--database-url</c>, in the same order.
    /// </summary>
    internal static IReadOnlyList<Uri> ResolveWorkerUrls(IReadOnlyList<string> explicitUrls, int servers, OdooSettings settings)
    {
        if (explicitUrls.Count > 1 && explicitUrls.Count != servers)
        {
            throw new ArgumentException($"--worker-url is given {explicitUrls.Count} times for {servers} --database-url: give it once (for every server) or once per server, in the same order");
        }

        return explicitUrls.Count > 1
            ? [.. explicitUrls.Select(url => ResolveWorkerUrl(url, settings))]
            : [.. Enumerable.Repeat(ResolveWorkerUrl(explicitUrls.Count == 1 ? explicitUrls[0] : null, settings), servers)];
    }

    /// <summary>With several servers a name alone does not say which server it is on: each URL names its own.</summary>
    private static IReadOnlyList<string> NoNamedDatabases(ParseResult parse, DatabaseOptions database, OdooSettings settings)
    {
        if (parse.GetValue(database.Databases) is { Length: > 0 })
        {
            throw new ArgumentException("--database names databases on one server: with several --database-url, put each server's database in its URL (or none, to discover them)");
        }

        if (settings.DatabaseNames.Count > 0)
        {
            throw new ArgumentException("the Odoo config file's db_name names databases on one server: with several --database-url, put each server's database in its URL (or none, to discover them)");
        }

        return [];
    }

    private static CapacityScope ParseCapacityScope(string? value) => value switch
    {
        "runner" => CapacityScope.Runner,
        "server" => CapacityScope.Server,
        "database" => CapacityScope.Database,
        _ => throw new ArgumentException($"--capacity-scope must be runner, server or database, got '{value}'"),
    };

    private static int AtLeastOne(int value, string option) =>
        value >= 1 ? value : throw new ArgumentException($"{option} must be at least 1, got {value}");
}
