using QueueExporter.QueueJob.Connection;
using QueueExporter.Runner.Channels;
using QueueExporter.Runner.Servers;

namespace QueueExporter.Runner;

/// <summary>Settings of <c>queue-exporter runner</c>. <see cref="Validate"/> fills nothing silently: a bad value stops the start with one line naming it.</summary>
public sealed record RunnerOptions
{
    /// <summary>Where the databases live (host, port, user, password; its database, if any, is the only one served unless <see cref="Databases"/> is set).</summary>
    public required DatabaseEndpoint Endpoint { get; init; }

    /// <summary>Databases to serve; empty = every database on the server that has a queue_job table.</summary>
    public IReadOnlyList<string> Databases { get; init; } = [];

    /// <summary>In discovery, which database names to serve (Odoo's dbfilter); null: every one with a queue_job table.</summary>
    public Func<string, bool>? DatabaseFilter { get; init; }

    /// <summary>OCA channels string, e.g. <c>root:4,root.mail:1:sequential</c>.</summary>
    public string Channels { get; init; } = ChannelConfigurationParser.Default;

    /// <summary>Base URL of the Odoo HTTP workers; <c>/queue_job/runjob</c> is appended.</summary>
    public Uri WorkerUrl { get; init; } = new("http://127.0.0.1:8069");

    /// <summary>
    /// Servers served beside <see cref="Endpoint"/> (whose databases, filter and workers are the ones above),
    /// each with its own databases and workers. See docs/runner.md, "Several servers".
    /// </summary>
    public IReadOnlyList<RunnerServer> OtherServers { get; init; } = [];

    /// <summary>Basic-auth user for the runjob call; none when null.</summary>
    public string? HttpAuthUser { get; init; }

    /// <summary>Basic-auth password for the runjob call.</summary>
    public string? HttpAuthPassword { get; init; }

    /// <summary>How long to wait for the runjob answer; running out is normal (the worker keeps running the job). OCA: 1 s.</summary>
    public TimeSpan HttpTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>With queue_job_lock: an enqueued/started job older than this whose lock row is missing or free is dead (OCA: 10 s).</summary>
    public TimeSpan DeadJobGrace { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Without queue_job_lock: an enqueued job older than this is dead (started jobs are left alone: they may be running).</summary>
    public TimeSpan RescueTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How often the dead-job rescue runs on each database this runner leads.</summary>
    public TimeSpan RescueInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Full re-read of active jobs, jittered ±20 %, in case a notification was lost.</summary>
    public TimeSpan SafetyPollInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How often a standby runner retries the leader lock (OCA: 5 s).</summary>
    public TimeSpan StandbyRetryInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>On stop, how long in-flight runjob calls may take to finish.</summary>
    public TimeSpan StopGracePeriod { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>After a connection error to the worker, wait this long before putting the job back to pending (no hot loop against a dead worker).</summary>
    public TimeSpan RequeueDelayAfterConnectionError { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Jobs taken per loop iteration at most: bounds the loop's latency when an unlimited channel has a huge backlog.</summary>
    public int MaxDispatchBatch { get; init; } = 500;

    /// <summary>Cap of the backoff before a database whose work failed is tried again (starts at 1 s, doubles, jittered).</summary>
    public TimeSpan MaxRestartDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>In discovery mode (no database list), how often the server's databases are listed again to serve new ones and stop gone ones.</summary>
    public TimeSpan DiscoveryInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Pooled connections per database at most, beside its one listening session. All but one close after
    /// 5 s idle and that one once the database has had no work for 5 s, so a database at rest holds only
    /// the listening session.
    /// </summary>
    public int MaxPoolSizePerDatabase { get; init; } = 4;

    /// <summary>
    /// Pooled connections in use at once across all databases, beside one listening session per database.
    /// The default leaves room for Odoo under PostgreSQL's default max_connections of 100.
    /// </summary>
    public int MaxConnections { get; init; } = 16;

    /// <summary>
    /// Whether this runner is one replica of a fleet that divides the databases among its members
    /// (see docs/runner.md, "Running a fleet"); off, it tries to lead every database it serves, as OCA's does.
    /// </summary>
    public bool Fleet { get; init; }

    /// <summary>The database on the server where fleet replicas hold their membership locks.</summary>
    public string FleetDatabase { get; init; } = "postgres";

    /// <summary>How often a fleet replica reads the live members (a dead replica's databases move within about twice this).</summary>
    public TimeSpan FleetInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Over what channel capacities count running jobs: across this runner's databases (OCA's meaning) or per database.</summary>
    public CapacityScope CapacityScope { get; init; } = CapacityScope.Runner;

    /// <summary>application_name of the runner's PostgreSQL sessions.</summary>
    public string ApplicationName { get; init; } = "queue-exporter-runner";

    /// <summary>The parsed channels (set by <see cref="Validate"/>).</summary>
    public IReadOnlyList<ChannelConfiguration> ParsedChannels { get; private set; } = [];

    /// <summary>Every server served: <see cref="Endpoint"/>'s first, then <see cref="OtherServers"/> (set by <see cref="Validate"/>).</summary>
    public IReadOnlyList<RunnerServer> Servers { get; private set; } = [];

    /// <summary>Checks every setting; throws <see cref="ArgumentException"/> (or <see cref="ChannelConfigurationException"/>) with one line naming the bad one.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Endpoint, nameof(Endpoint));
        ParsedChannels = ChannelConfigurationParser.Parse(Channels);
        Servers = [RunnerServer.For(Endpoint, Databases, DatabaseFilter, WorkerUrl), .. OtherServers];
        foreach (var server in Servers)
        {
            if (!server.WorkerUrl.IsAbsoluteUri || (server.WorkerUrl.Scheme != Uri.UriSchemeHttp && server.WorkerUrl.Scheme != Uri.UriSchemeHttps))
            {
                throw new ArgumentException($"worker URL must be an absolute http(s) URL, got '{server.WorkerUrl}'");
            }
        }

        if (Servers.GroupBy(s => s.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            throw new ArgumentException($"server {twice.Key} is given more than once: with several servers, each database URL names one server (its database, if any, is the one served there; without one, its databases are discovered)");
        }

        RequirePositive(HttpTimeout, "HTTP timeout");
        RequirePositive(DeadJobGrace, "dead job grace");
        RequirePositive(RescueTimeout, "rescue timeout");
        RequirePositive(RescueInterval, "rescue interval");
        RequirePositive(SafetyPollInterval, "safety poll interval");
        RequirePositive(StandbyRetryInterval, "standby retry interval");
        RequirePositive(RequeueDelayAfterConnectionError, "requeue delay after a connection error");
        RequirePositive(MaxRestartDelay, "max restart delay");
        RequirePositive(DiscoveryInterval, "discovery interval");
        RequirePositive(FleetInterval, "fleet interval");
        if (string.IsNullOrWhiteSpace(FleetDatabase))
        {
            throw new ArgumentException("fleet database must be named");
        }

        if (!Enum.IsDefined(CapacityScope))
        {
            throw new ArgumentException($"capacity scope must be runner, server or database, got {CapacityScope}");
        }

        if (MaxConnections < 1)
        {
            throw new ArgumentException("max connections must be at least 1");
        }

        if (MaxPoolSizePerDatabase < 1)
        {
            throw new ArgumentException("max pool size per database must be at least 1");
        }
        if (StopGracePeriod < TimeSpan.Zero)
        {
            throw new ArgumentException("stop grace period must not be negative");
        }

        if (MaxDispatchBatch < 1)
        {
            throw new ArgumentException("max dispatch batch must be at least 1");
        }
    }

    private static void RequirePositive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{name} must be positive, got {value.TotalSeconds} s");
        }
    }
}
