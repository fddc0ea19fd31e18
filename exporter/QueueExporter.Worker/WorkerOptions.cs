using System.Globalization;
using System.Net;
using QueueExporter.QueueJob.Connection;

namespace QueueExporter.Worker;

/// <summary>Settings of the queue_job worker (the <c>/queue_job/runjob</c> HTTP endpoint).</summary>
public sealed class WorkerOptions
{
    /// <summary>Odoo's HTTP port, so that a runner's default worker URL reaches this worker.</summary>
    public const string DefaultListen = "127.0.0.1:8069";

    /// <summary>Shows in pg_stat_activity for the worker's sessions.</summary>
    public const string ApplicationName = "queue-exporter worker";

    /// <summary>The PostgreSQL server holding the job databases (required).</summary>
    public DatabaseEndpoint? Endpoint { get; set; }

    /// <summary>
    /// The databases this worker runs jobs for. Empty: the endpoint's own database if it names one,
    /// else every database on the server with a queue_job table (discovered, refreshed on demand).
    /// A request for any other database is refused: a query string never chooses what we connect to.
    /// </summary>
    public IReadOnlyList<string> Databases { get; set; } = [];

    /// <summary>In discovery, which database names to serve (Odoo's dbfilter); null: every one with a queue_job table.</summary>
    public Func<string, bool>? DatabaseFilter { get; set; }

    /// <summary>Address and port to listen on, <c>host:port</c>; port 0 picks a free one.</summary>
    public string Listen { get; set; } = DefaultListen;

    /// <summary>Registers the <c>queue.demo.*</c> handlers (see <see cref="Demo.DemoHandlers"/>).</summary>
    public bool DemoHandlers { get; set; }

    /// <summary>Basic-auth user required on <c>/queue_job/runjob</c>; null for no authentication.</summary>
    public string? HttpAuthUser { get; set; }

    /// <summary>Basic-auth password; set together with <see cref="HttpAuthUser"/>.</summary>
    public string? HttpAuthPassword { get; set; }

    /// <summary>Delay before the next attempt after a retryable error, for functions without a retry pattern (Odoo: 10 min).</summary>
    public TimeSpan DefaultRetryDelay { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Least time between two discoveries triggered by requests for databases not (yet) known.</summary>
    public TimeSpan DiscoveryRefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The dead-job grace of the runners that dispatch to this worker (seconds; OCA and our runner: 10 s).
    /// An upper bound: a run whose lock session is gone has its handler cancelled, and stops writing,
    /// sooner than this, so it has stopped before a runner can requeue its job.
    /// </summary>
    public TimeSpan DeadJobGrace { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often a running job's lock session is checked (a <c>SELECT 1</c> on it) while its handler runs.</summary>
    public TimeSpan LockCheckInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long one check may take before the session counts as lost.</summary>
    public TimeSpan LockCheckTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Jobs this worker runs at once at most; a request beyond it is answered 503 at once, so it never waits for a connection.</summary>
    public int MaxConcurrentJobs { get; set; } = 32;

    /// <summary>Connections per database pool (each running job holds one for its lock); at least <see cref="MaxConcurrentJobs"/>.</summary>
    public int PoolSize { get; set; } = 32;

    /// <summary>Checks every setting; throws with one line naming the one that is wrong.</summary>
    /// <exception cref="ArgumentException">When a setting is invalid.</exception>
    public void Validate()
    {
        if (Endpoint is null)
        {
            throw new ArgumentException("worker: Endpoint (the database URL) is required");
        }

        _ = ParseListen(Listen);
        if (string.IsNullOrEmpty(HttpAuthUser) != string.IsNullOrEmpty(HttpAuthPassword))
        {
            throw new ArgumentException("worker: HttpAuthUser and HttpAuthPassword must be set together");
        }

        if (Databases.Any(string.IsNullOrWhiteSpace))
        {
            throw new ArgumentException("worker: Databases contains an empty name");
        }

        if (DefaultRetryDelay < TimeSpan.Zero)
        {
            throw new ArgumentException($"worker: DefaultRetryDelay must not be negative, got {DefaultRetryDelay}");
        }

        if (DiscoveryRefreshInterval < TimeSpan.Zero)
        {
            throw new ArgumentException($"worker: DiscoveryRefreshInterval must not be negative, got {DiscoveryRefreshInterval}");
        }

        if (DeadJobGrace <= TimeSpan.Zero || LockCheckInterval <= TimeSpan.Zero || LockCheckTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException($"worker: DeadJobGrace, LockCheckInterval and LockCheckTimeout must be positive, got {DeadJobGrace.TotalSeconds} s, {LockCheckInterval.TotalSeconds} s, {LockCheckTimeout.TotalSeconds} s");
        }

        // The worst case: the session dies just after a check passed; the next check starts an interval
        // later and fails at the latest after its timeout. That must come before a runner may requeue.
        if (LockCheckInterval + LockCheckTimeout >= DeadJobGrace)
        {
            throw new ArgumentException($"worker: LockCheckInterval + LockCheckTimeout ({(LockCheckInterval + LockCheckTimeout).TotalSeconds} s) must stay below DeadJobGrace ({DeadJobGrace.TotalSeconds} s), or a job cut off from PostgreSQL could run on after a runner requeued it");
        }

        if (MaxConcurrentJobs < 1)
        {
            throw new ArgumentException($"worker: MaxConcurrentJobs must be at least 1, got {MaxConcurrentJobs}");
        }

        if (PoolSize < MaxConcurrentJobs)
        {
            throw new ArgumentException($"worker: PoolSize ({PoolSize}) must be at least MaxConcurrentJobs ({MaxConcurrentJobs}): each running job holds a connection");
        }
    }

    /// <summary>Parses <c>host:port</c> (IPv4, <c>[IPv6]</c>, <c>localhost</c> or <c>*</c> for any address).</summary>
    /// <exception cref="ArgumentException">Naming the setting and the value.</exception>
    public static IPEndPoint ParseListen(string? listen)
    {
        var text = (listen ?? "").Trim();
        if (text.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            text = text["http://".Length..].TrimEnd('/');
        }

        var colon = text.LastIndexOf(':');
        if (colon <= 0
            || !int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            || port > 65535)
        {
            throw new ArgumentException($"worker: Listen must be host:port (e.g. {DefaultListen}), got '{listen}'");
        }

        var host = text[..colon].Trim('[', ']');
        IPAddress? address = host switch
        {
            "localhost" => IPAddress.Loopback,
            "*" or "0.0.0.0" => IPAddress.Any,
            _ => IPAddress.TryParse(host, out var parsed) ? parsed : null,
        };
        return address is null
            ? throw new ArgumentException($"worker: Listen host must be an IP address, localhost or *, got '{host}'")
            : new IPEndPoint(address, port);
    }
}
