using System.CommandLine;
using QueueExporter.QueueJob.Connection;
using QueueExporter.QueueJob.Logging;
using QueueExporter.Worker;

namespace QueueExporter.Commands;

/// <summary>
/// <c>queue-exporter worker</c>: serves <c>GET /queue_job/runjob</c> as an Odoo HTTP worker does, so that
/// any queue_job runner (ours or OCA's) can run .NET job handlers; metrics at <c>/metrics</c>.
/// </summary>
internal static class WorkerCommand
{
    private const string AuthUserVariable = "ODOO_QUEUE_JOB_HTTP_AUTH_USER";
    private const string AuthPasswordVariable = "ODOO_QUEUE_JOB_HTTP_AUTH_PASSWORD";

    public static Command Create()
    {
        var database = new DatabaseOptions();
        var metrics = new MetricsOptions();
        var web = new WebConfigOption();
        var listen = new Option<string>("--listen")
        {
            Description = $"Address and port to listen on, host:port (port 0: any free port). Default {WorkerOptions.DefaultListen}, Odoo's port, so a runner's default worker URL reaches this worker.",
            DefaultValueFactory = _ => WorkerOptions.DefaultListen,
        };
        var demoHandlers = new Option<bool>("--demo-handlers")
        {
            Description = "Register the demo job functions queue.demo.quick, queue.demo.slow (waits args[0] s), queue.demo.fail and queue.demo.flaky (retries args[0] times).",
        };
        var authUser = new Option<string?>("--http-auth-user")
        {
            Description = $"Require HTTP basic auth with this user on /queue_job/runjob (default ${AuthUserVariable}, else [queue_job] http_auth_user of the Odoo config file, as the runner sends it).",
        };
        var authPassword = new Option<string?>("--http-auth-password")
        {
            Description = $"The basic-auth password (default ${AuthPasswordVariable}, else [queue_job] http_auth_password; preferable: the command line is visible to other users).",
        };
        var retryDelay = DurationOption.Create("--default-retry-delay", "Time before the next attempt after a retryable error, for functions without a retry pattern (Odoo's: 10m).", TimeSpan.FromMinutes(10), allowZero: true);

        var maxConcurrentJobs = new Option<int>("--max-concurrent-jobs")
        {
            Description = "Jobs run at once at most; a runjob request beyond it is answered 503 at once (the runner puts the job back to pending). Default 32.",
            DefaultValueFactory = _ => 32,
        };
        var poolSize = new Option<int>("--pool-size")
        {
            Description = "PostgreSQL connections per database (each running job holds one); at least --max-concurrent-jobs. Default 32.",
            DefaultValueFactory = _ => 32,
        };
        var deadJobGrace = DurationOption.Create("--dead-job-grace", "The runners' dead-job grace (OCA: 10s). A job whose lock session is lost is cancelled within less than this.", TimeSpan.FromSeconds(10));
        var lockCheckInterval = DurationOption.Create("--lock-check-interval", "Time between two checks of a running job's lock session; interval + --lock-check-timeout must stay below --dead-job-grace.", TimeSpan.FromSeconds(1));
        var lockCheckTimeout = DurationOption.Create("--lock-check-timeout", "How long one lock-session check may take before the run counts as lost.", TimeSpan.FromSeconds(2));

        var logFormat = new Option<string>("--log-format")
        {
            Description = $"Console log format: {string.Join(", ", LoggingSetup.Formats)} (odoo: Odoo's own line format, readable by existing log tooling).",
            DefaultValueFactory = _ => "simple",
        };

        var logLevel = LogLevelOption.Create();

        var command = new Command("worker", "Run queue_job jobs: serve GET /queue_job/runjob?db=&job_uuid= (lock, started, handler, done/retry/failed, release dependents) and /metrics.");
        database.AddTo(command);
        metrics.AddTo(command);
        web.AddTo(command);
        foreach (var option in (Option[])[listen, demoHandlers, authUser, authPassword, retryDelay, maxConcurrentJobs, poolSize, deadJobGrace, lockCheckInterval, lockCheckTimeout, logFormat, logLevel])
        {
            command.Options.Add(option);
        }

        command.SetAction((parse, cancellationToken) => CommandFailure.RunAsync(
            async () =>
            {
                var settings = database.Settings(parse);
                var options = new WorkerOptions
                {
                    Endpoint = DatabaseEndpoint.Resolve(database.ExplicitUrl(parse), settings),
                    Databases = database.ResolveDatabaseNames(parse),
                    DatabaseFilter = DatabaseOptions.DatabaseFilter(settings, settings.WorkerHost ?? "127.0.0.1"),
                    Listen = parse.GetValue(listen)!,
                    DemoHandlers = parse.GetValue(demoHandlers),
                    HttpAuthUser = parse.GetValue(authUser) ?? settings.HttpAuthUser,
                    HttpAuthPassword = parse.GetValue(authPassword) ?? settings.HttpAuthPassword,
                    DefaultRetryDelay = parse.GetValue(retryDelay),
                    MaxConcurrentJobs = parse.GetValue(maxConcurrentJobs),
                    PoolSize = parse.GetValue(poolSize),
                    DeadJobGrace = parse.GetValue(deadJobGrace),
                    LockCheckInterval = parse.GetValue(lockCheckInterval),
                    LockCheckTimeout = parse.GetValue(lockCheckTimeout),
                };
                var format = parse.GetValue(logFormat)!;
                if (!LoggingSetup.Formats.Contains(format))
                {
                    throw new ArgumentException($"--log-format must be one of {string.Join(", ", LoggingSetup.Formats)}, got '{format}'");
                }

                var webConfig = web.Load(parse);
                using var exporterMetrics = metrics.Create(parse);
                await using var host = await WorkerHost.StartAsync(options, exporterMetrics.Registry, configureLogging: logging => logging.AddQueueExporterConsole(format, parse.GetValue(logLevel)), webConfig: webConfig, cancellationToken: cancellationToken);
                try
                {
                    await host.WaitForShutdownAsync(cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    // Ctrl-C or SIGTERM: the normal way out; disposal stops the host and requeues running jobs.
                }

                return 0;
            },
            () => database.ResolveEndpoint(parse)));
        return command;
    }
}
