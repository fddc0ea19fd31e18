using QueueExporter.QueueJob.Options;

namespace QueueExporter.Scraper;

/// <summary>Settings of <c>queue-exporter scrape</c>. Validated at start; a bad value names its setting.</summary>
public sealed class ScraperOptions
{
    /// <summary>Default <see cref="Listen"/>: loopback only, port 9732.</summary>
    public const string DefaultListen = "127.0.0.1:9732";

    /// <summary>Default <see cref="RefreshInterval"/>.</summary>
    public static readonly TimeSpan DefaultRefreshInterval = TimeSpan.FromSeconds(15);

    /// <summary>Default <see cref="TerminalInterval"/>.</summary>
    public static readonly TimeSpan DefaultTerminalInterval = TimeSpan.FromMinutes(5);

    /// <summary>Default <see cref="StatementTimeout"/>.</summary>
    public static readonly TimeSpan DefaultStatementTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Default <see cref="ReconciliationInterval"/>.</summary>
    public static readonly TimeSpan DefaultReconciliationInterval = TimeSpan.FromMinutes(1);

    /// <summary>Default <see cref="DiscoveryInterval"/>.</summary>
    public static readonly TimeSpan DefaultDiscoveryInterval = TimeSpan.FromMinutes(5);

    /// <summary>Default <see cref="TerminalTimeout"/>.</summary>
    public static readonly TimeSpan DefaultTerminalTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Default <see cref="TerminalExactLimit"/>.</summary>
    public const long DefaultTerminalExactLimit = 1_000_000;

    /// <summary>Default <see cref="MaxChannels"/>.</summary>
    public const int DefaultMaxChannels = 200;

    /// <summary>Default <see cref="ChannelIdleTime"/>.</summary>
    public static readonly TimeSpan DefaultChannelIdleTime = TimeSpan.FromHours(1);

    /// <summary>Default <see cref="MaxFunctions"/>.</summary>
    public const int DefaultMaxFunctions = 30;

    /// <summary>Default <see cref="MaxExceptionLabels"/>.</summary>
    public const int DefaultMaxExceptionLabels = 20;

    /// <summary>Whether to read databases at all (false: follow log files only).</summary>
    public bool ReadDatabases { get; set; } = true;

    /// <summary>Databases to read; empty means every database on the server that has a queue_job table.</summary>
    public IList<string> Databases { get; } = [];

    /// <summary>In discovery, which database names to read (Odoo's dbfilter); null: every one with a queue_job table.</summary>
    public Func<string, bool>? DatabaseFilter { get; set; }

    /// <summary>Odoo log files to follow.</summary>
    public IList<string> LogFiles { get; } = [];

    /// <summary>Address the /metrics endpoint binds, <c>host:port</c> (port 0 picks a free port).</summary>
    public string Listen { get; set; } = DefaultListen;

    /// <summary>How often active-state counts, ages and runner sessions are read from each database.</summary>
    public TimeSpan RefreshInterval { get; set; } = DefaultRefreshInterval;

    /// <summary>How often done/cancelled/failed totals are read, on their own loop; zero disables them.</summary>
    public TimeSpan TerminalInterval { get; set; } = DefaultTerminalInterval;

    /// <summary>Server-side limit of the terminal totals' queries (their own, so a slow count never holds up the refresh).</summary>
    public TimeSpan TerminalTimeout { get; set; } = DefaultTerminalTimeout;

    /// <summary>
    /// A terminal state the planner's statistics estimate above this many rows is not counted
    /// exactly (only <c>queue_job_jobs_estimated</c> is exported for it); 0 never counts exactly.
    /// </summary>
    public long TerminalExactLimit { get; set; } = DefaultTerminalExactLimit;

    /// <summary>Server-side limit of every other query the scraper sends.</summary>
    public TimeSpan StatementTimeout { get; set; } = DefaultStatementTimeout;

    /// <summary>Channels per database that keep their name in labels; later ones are exported as <c>other</c>.</summary>
    public int MaxChannels { get; set; } = DefaultMaxChannels;

    /// <summary>A channel label with no job and no completion for this long is dropped (its series removed, its slot freed).</summary>
    public TimeSpan ChannelIdleTime { get; set; } = DefaultChannelIdleTime;

    /// <summary>How often the completion follower compares its memory with the table, to count what notifications missed.</summary>
    public TimeSpan ReconciliationInterval { get; set; } = DefaultReconciliationInterval;

    /// <summary>When databases are discovered (none named), how often the server is searched again for new ones.</summary>
    public TimeSpan DiscoveryInterval { get; set; } = DefaultDiscoveryInterval;

    /// <summary>Distinct exc_name values exported per database before the rest are counted as <c>other</c>.</summary>
    public int MaxExceptionLabels { get; set; } = DefaultMaxExceptionLabels;

    /// <summary>Distinct job functions (model_name.method_name) exported per database before the rest are counted as <c>other</c>.</summary>
    public int MaxFunctions { get; set; } = DefaultMaxFunctions;

    /// <summary>Optional basic-auth user for /metrics; set together with <see cref="AuthPassword"/>.</summary>
    public string? AuthUser { get; set; }

    /// <summary>Optional basic-auth password for /metrics.</summary>
    public string? AuthPassword { get; set; }

    /// <summary>How often each log file is polled.</summary>
    public TimeSpan LogPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>True when /metrics requires basic auth.</summary>
    public bool RequiresAuthentication => AuthUser is not null;

    /// <summary>Returns the problems with the settings, one line each naming the setting; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (!ReadDatabases && LogFiles.Count == 0)
        {
            problems.Add("--no-database: nothing left to scrape: give at least one --log-file.");
        }

        if (!ReadDatabases && Databases.Count > 0)
        {
            problems.Add("--database: cannot be combined with --no-database.");
        }

        if (!ListenAddress.TryParse(Listen, out _, out var listenError))
        {
            problems.Add($"--listen: {listenError}");
        }

        RequirePositive(problems, "--interval", RefreshInterval);
        RequirePositive(problems, "--statement-timeout", StatementTimeout);
        RequirePositive(problems, "reconciliation interval", ReconciliationInterval);
        RequirePositive(problems, "log poll interval", LogPollInterval);
        RequirePositive(problems, "discovery interval", DiscoveryInterval);
        if (TerminalInterval < TimeSpan.Zero)
        {
            problems.Add("--terminal-interval: must be zero (disabled) or positive.");
        }

        RequirePositive(problems, "--terminal-timeout", TerminalTimeout);
        if (TerminalExactLimit < 0)
        {
            problems.Add("--terminal-exact-limit: must not be negative.");
        }

        if (MaxFunctions < 0)
        {
            problems.Add("--max-functions: must not be negative.");
        }

        if (MaxChannels < 0)
        {
            problems.Add("--max-channels: must not be negative.");
        }

        // A channel seen only by the terminal count is seen once per terminal interval: it must
        // not expire in between.
        if (ChannelIdleTime <= RefreshInterval || (TerminalInterval > TimeSpan.Zero && ChannelIdleTime <= TerminalInterval))
        {
            problems.Add("--channel-idle: must be longer than --interval and --terminal-interval (raise it with them).");
        }

        if (MaxExceptionLabels < 0)
        {
            problems.Add("max exception labels: must not be negative.");
        }

        if ((AuthUser is null) != (AuthPassword is null) || AuthUser?.Contains(':', StringComparison.Ordinal) == true)
        {
            problems.Add("--auth-user/--auth-password: give both, and a user without ':'.");
        }

        return problems;
    }

    /// <summary>Splits <c>host:port</c> (IPv6 in brackets) by the listeners' shared grammar, <see cref="ListenAddress"/>.</summary>
    public static bool TryParseListen(string listen, out string host, out int port)
    {
        var valid = ListenAddress.TryParse(listen, out var endpoint, out _);
        host = valid ? endpoint.Address.ToString() : string.Empty;
        port = valid ? endpoint.Port : 0;
        return valid;
    }

    private static void RequirePositive(List<string> problems, string name, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            problems.Add($"{name}: must be positive.");
        }
    }
}
