using System.Globalization;
using Npgsql;
using QueueExporter.QueueJob.Configuration;

namespace QueueExporter.QueueJob.Connection;

/// <summary>
/// Where a PostgreSQL server is and how to log in, parsed from a libpq URL
/// (<c>postgres://user:pass@host:port/db?sslmode=require</c>), an Npgsql connection string, or
/// Odoo's <c>ODOO_QUEUE_JOB_JOBRUNNER_DB_*</c> variables. The password stays inside: <see cref="Describe"/>
/// and <see cref="ToString"/> never show it, so an endpoint can be logged safely.
/// </summary>
public sealed class DatabaseEndpoint
{
    /// <summary>The environment variable read when no <c>--database-url</c> is given.</summary>
    public const string UrlEnvironmentVariable = "QUEUE_EXPORTER_DATABASE_URL";

    private readonly NpgsqlConnectionStringBuilder _builder;

    private DatabaseEndpoint(NpgsqlConnectionStringBuilder builder) => _builder = builder;

    /// <summary>Host name or address (default <c>localhost</c>).</summary>
    public string Host => string.IsNullOrEmpty(_builder.Host) ? "localhost" : _builder.Host;

    /// <summary>TCP port (default 5432).</summary>
    public int Port => _builder.Port;

    /// <summary>Role to log in as, if set.</summary>
    public string? Username => _builder.Username;

    /// <summary>The database named by the URL, or null when none was named (discovery applies).</summary>
    public string? Database => string.IsNullOrEmpty(_builder.Database) ? null : _builder.Database;

    /// <summary>Whether a password is configured (its value is never exposed).</summary>
    public bool HasPassword => !string.IsNullOrEmpty(_builder.Password);

    /// <summary>Parses a libpq URL or an Npgsql connection string.</summary>
    /// <exception cref="FormatException">With a one-line message that never repeats the password.</exception>
    public static DatabaseEndpoint Parse(string urlOrConnectionString)
    {
        ArgumentNullException.ThrowIfNull(urlOrConnectionString);
        var text = urlOrConnectionString.Trim();
        if (text.Length == 0)
        {
            throw new FormatException("database URL is empty");
        }

        return text.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
            || text.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
            ? new DatabaseEndpoint(LibpqUrl.ToBuilder(text))
            : new DatabaseEndpoint(ParseConnectionString(text));
    }

    /// <summary>
    /// The endpoint to use: an explicit URL wins, then <see cref="UrlEnvironmentVariable"/>, then Odoo's
    /// <c>ODOO_QUEUE_JOB_JOBRUNNER_DB_HOST|PORT|USER|PASSWORD</c>, then PostgreSQL's defaults
    /// (localhost:5432 as the current user).
    /// </summary>
    public static DatabaseEndpoint Resolve(string? explicitUrl, IReadOnlyDictionary<string, string?> environment) =>
        Resolve(explicitUrl, new OdooSettings(environment));

    /// <summary>
    /// The endpoint to use: an explicit URL wins, then <see cref="UrlEnvironmentVariable"/>, then each of
    /// host, port, user and password as OCA's runner finds it (<see cref="OdooSettings"/>: environment,
    /// then the Odoo configuration file's <c>[queue_job] jobrunner_db_*</c>, then its <c>[options] db_*</c>),
    /// then PostgreSQL's defaults (localhost:5432 as the current user).
    /// </summary>
    public static DatabaseEndpoint Resolve(string? explicitUrl, OdooSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (!string.IsNullOrWhiteSpace(explicitUrl))
        {
            return Parse(explicitUrl);
        }

        return settings.Environment(UrlEnvironmentVariable) is { } fromEnv ? Parse(fromEnv) : FromSettings(settings);
    }

    /// <summary>Builds an endpoint from Odoo's job runner variables (unset ones keep PostgreSQL's defaults).</summary>
    public static DatabaseEndpoint FromEnvironment(IReadOnlyDictionary<string, string?> environment) =>
        FromSettings(new OdooSettings(environment));

    /// <summary>Builds an endpoint from Odoo's settings, each part on its own (unset ones keep PostgreSQL's defaults).</summary>
    /// <exception cref="FormatException">A port or sslmode that is not one, naming where it came from; never the password.</exception>
    public static DatabaseEndpoint FromSettings(OdooSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var builder = new NpgsqlConnectionStringBuilder { Host = "localhost", Port = 5432 };
        if (settings.DatabaseHost is { } host)
        {
            builder.Host = host;
        }

        if (settings.DatabasePort is { } port)
        {
            builder.Port = int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is > 0 and < 65536
                ? p
                : throw new FormatException($"the job runner's database port (ODOO_QUEUE_JOB_JOBRUNNER_DB_PORT, jobrunner_db_port or db_port) is not a port number: '{port}'");
        }

        if (settings.DatabaseSslMode is { } sslMode)
        {
            builder.SslMode = Enum.TryParse<SslMode>(sslMode.Replace("-", "", StringComparison.Ordinal), ignoreCase: true, out var mode) && Enum.IsDefined(mode)
                ? mode
                : throw new FormatException($"db_sslmode in {settings.File.Source} is not an sslmode: '{sslMode}'");
        }

        builder.Username = settings.DatabaseUser ?? settings.Environment("USER");
        builder.Password = settings.DatabasePassword;
        return new DatabaseEndpoint(builder);
    }

    /// <summary>The same server and credentials, another database.</summary>
    public DatabaseEndpoint WithDatabase(string database)
    {
        ArgumentException.ThrowIfNullOrEmpty(database);
        var copy = new NpgsqlConnectionStringBuilder(_builder.ConnectionString) { Database = database };
        return new DatabaseEndpoint(copy);
    }

    /// <summary>
    /// An Npgsql connection string. <paramref name="applicationName"/> shows in pg_stat_activity, so a
    /// DBA can tell our sessions apart; <paramref name="pooling"/> is off for dedicated LISTEN connections.
    /// </summary>
    public string ToConnectionString(string applicationName, bool pooling = true)
    {
        var copy = new NpgsqlConnectionStringBuilder(_builder.ConnectionString)
        {
            ApplicationName = applicationName,
            Pooling = pooling,
        };
        if (copy.Timeout == 15)
        {
            // Npgsql's default; a monitor should notice an unreachable server sooner.
            copy.Timeout = 10;
        }

        return copy.ConnectionString;
    }

    /// <summary><c>user@host:port/database</c>: safe for logs, errors and nothing more.</summary>
    public string Describe()
    {
        var user = string.IsNullOrEmpty(Username) ? "" : Username + "@";
        var database = Database is null ? "" : "/" + Database;
        return $"{user}{Host}:{Port}{database}";
    }

    /// <inheritdoc/>
    public override string ToString() => Describe();

    private static NpgsqlConnectionStringBuilder ParseConnectionString(string text)
    {
        try
        {
            return new NpgsqlConnectionStringBuilder(text);
        }
        catch (ArgumentException)
        {
            // The exception text may quote the input, password included: say only what kind of error it is.
            throw new FormatException("database URL is neither a postgres:// URL nor a valid connection string (key=value;...)");
        }
    }
}
