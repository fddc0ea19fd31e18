namespace QueueExporter.QueueJob.Configuration;

/// <summary>
/// The queue_job settings as OCA's job runner finds them: each value from its <c>ODOO_QUEUE_JOB_*</c>
/// environment variable if set (and not empty), else from the <c>[queue_job]</c> section of the Odoo
/// configuration file, else, where OCA falls back to Odoo's own options, from <c>[options]</c>.
/// A command-line flag is checked by the caller before any of these: flag &gt; environment &gt; file.
/// Null means "not configured anywhere": the caller applies its default.
/// </summary>
public sealed class OdooSettings
{
    private readonly IReadOnlyDictionary<string, string?> _environment;

    /// <summary>Settings from <paramref name="environment"/> over <paramref name="file"/> (none: <see cref="OdooConfigFile.Empty"/>).</summary>
    public OdooSettings(IReadOnlyDictionary<string, string?> environment, OdooConfigFile? file = null)
    {
        _environment = environment ?? throw new ArgumentNullException(nameof(environment));
        File = file ?? OdooConfigFile.Empty;
    }

    /// <summary>The configuration file read (possibly <see cref="OdooConfigFile.Empty"/>).</summary>
    public OdooConfigFile File { get; }

    /// <summary>The channels string: <c>ODOO_QUEUE_JOB_CHANNELS</c>, then <c>[queue_job] channels</c>.</summary>
    public string? Channels => QueueJob("CHANNELS", "channels");

    /// <summary>Scheme of the runjob URL: <c>ODOO_QUEUE_JOB_SCHEME</c>, then <c>[queue_job] scheme</c>.</summary>
    public string? WorkerScheme => QueueJob("SCHEME", "scheme");

    /// <summary>Host of the runjob URL: <c>ODOO_QUEUE_JOB_HOST</c>, <c>[queue_job] host</c>, then Odoo's <c>http_interface</c>.</summary>
    public string? WorkerHost => QueueJob("HOST", "host") ?? File.Get("options", "http_interface");

    /// <summary>Port of the runjob URL: <c>ODOO_QUEUE_JOB_PORT</c>, <c>[queue_job] port</c>, then Odoo's <c>http_port</c>.</summary>
    public string? WorkerPort => QueueJob("PORT", "port") ?? File.Get("options", "http_port");

    /// <summary>Basic-auth user of the runjob call: <c>ODOO_QUEUE_JOB_HTTP_AUTH_USER</c>, then <c>[queue_job] http_auth_user</c>.</summary>
    public string? HttpAuthUser => QueueJob("HTTP_AUTH_USER", "http_auth_user");

    /// <summary>Basic-auth password of the runjob call: <c>ODOO_QUEUE_JOB_HTTP_AUTH_PASSWORD</c>, then <c>[queue_job] http_auth_password</c>.</summary>
    public string? HttpAuthPassword => QueueJob("HTTP_AUTH_PASSWORD", "http_auth_password");

    /// <summary>PostgreSQL host: <c>ODOO_QUEUE_JOB_JOBRUNNER_DB_HOST</c>, <c>[queue_job] jobrunner_db_host</c>, then <c>[options] db_host</c>.</summary>
    public string? DatabaseHost => JobRunnerDatabase("host");

    /// <summary>PostgreSQL port, as <see cref="DatabaseHost"/>.</summary>
    public string? DatabasePort => JobRunnerDatabase("port");

    /// <summary>PostgreSQL role, as <see cref="DatabaseHost"/>.</summary>
    public string? DatabaseUser => JobRunnerDatabase("user");

    /// <summary>PostgreSQL password, as <see cref="DatabaseHost"/>.</summary>
    public string? DatabasePassword => JobRunnerDatabase("password");

    /// <summary>Odoo's <c>db_sslmode</c> (<c>[options]</c> only, as in Odoo).</summary>
    public string? DatabaseSslMode => File.Get("options", "db_sslmode");

    /// <summary>Odoo's <c>db_name</c>: the databases OCA's runner serves, comma-separated; empty when not set.</summary>
    public IReadOnlyList<string> DatabaseNames =>
        File.Get("options", "db_name") is { } names
            ? [.. names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal)]
            : [];

    /// <summary>Odoo's <c>dbfilter</c> (a regular expression; see <see cref="OdooDatabaseFilter"/>).</summary>
    public string? DatabaseFilter => File.Get("options", "dbfilter");

    /// <summary>A variable of the environment, or null when unset or blank.</summary>
    public string? Environment(string name) =>
        _environment.GetValueOrDefault(name) is { } value && !string.IsNullOrWhiteSpace(value) ? value : null;

    private string? QueueJob(string variableSuffix, string key) =>
        Environment("ODOO_QUEUE_JOB_" + variableSuffix) ?? File.Get("queue_job", key);

    // OCA's _connection_info_for: Odoo's own connection info, each of host/port/user/password then
    // overridden by ODOO_QUEUE_JOB_JOBRUNNER_DB_<P> or [queue_job] jobrunner_db_<p>.
    private string? JobRunnerDatabase(string part) =>
        QueueJob("JOBRUNNER_DB_" + part.ToUpperInvariant(), "jobrunner_db_" + part) ?? File.Get("options", "db_" + part);
}
