using System.Collections;
using System.CommandLine;
using QueueExporter.QueueJob.Configuration;
using QueueExporter.QueueJob.Connection;

namespace QueueExporter.Commands;

/// <summary>
/// The database options every subcommand shares, and how they resolve to an endpoint. Every setting
/// resolves the same way: its flag, else its environment variable, else the Odoo configuration file
/// (<c>--odoo-config</c>, else <c>$ODOO_RC</c>), else its default.
/// </summary>
internal sealed class DatabaseOptions
{
    public Option<string?> OdooConfig { get; } = new("--odoo-config")
    {
        Description = $"Odoo configuration file to read as OCA's runner does: [options] db_host, db_port, db_user, db_password, db_sslmode, db_name, dbfilter, http_interface, http_port; [queue_job] channels, scheme, host, port, http_auth_user, http_auth_password, jobrunner_db_host|port|user|password. A flag or environment variable wins over the file. Default: ${OdooConfigFile.EnvironmentVariable}, else none.",
    };

    /// <param name="severalServers">Whether <c>--database-url</c> may be repeated, one server each (the runner).</param>
    public DatabaseOptions(bool severalServers = false)
    {
        Url = new Option<string[]>("--database-url")
        {
            Description = "PostgreSQL server as postgres://user:pass@host:port/db or an Npgsql connection string. "
                + $"Default: ${DatabaseEndpoint.UrlEnvironmentVariable}, else ODOO_QUEUE_JOB_JOBRUNNER_DB_HOST|PORT|USER|PASSWORD, else the Odoo config file's jobrunner_db_* and db_*, else localhost:5432."
                + (severalServers ? " Repeat it to serve several servers (see docs/runner.md, \"Several servers\"): each URL's database, if any, is the one served there, else its databases are discovered." : ""),
            Arity = ArgumentArity.ZeroOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        if (!severalServers)
        {
            Url.Validators.Add(result =>
            {
                if (result.Tokens.Count > 1)
                {
                    result.AddError("--database-url: this command works on one server; give it once");
                }
            });
        }
    }

    public Option<string[]> Url { get; }

    public Option<string[]> Databases { get; } = new("--database")
    {
        Description = "A database to work on (repeatable). Default: the database of --database-url, else the Odoo config file's db_name (comma-separated), else every database on the server that has a queue_job table (and matches its dbfilter, if any).",
        AllowMultipleArgumentsPerToken = false,
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Url);
        command.Options.Add(Databases);
        command.Options.Add(OdooConfig);
    }

    /// <summary>The environment over the Odoo configuration file, if one is named.</summary>
    /// <exception cref="FormatException">The file cannot be read or parsed (one line; a usage error).</exception>
    public OdooSettings Settings(ParseResult parse)
    {
        var environment = EnvironmentVariables();
        var (path, source) = parse.GetValue(OdooConfig) is { Length: > 0 } flag
            ? (flag, "--odoo-config")
            : (new OdooSettings(environment).Environment(OdooConfigFile.EnvironmentVariable), OdooConfigFile.EnvironmentVariable);
        try
        {
            return new OdooSettings(environment, path is null ? null : OdooConfigFile.Load(path));
        }
        catch (FormatException ex)
        {
            throw new FormatException($"{source}: {ex.Message}", ex);
        }
    }

    public DatabaseEndpoint ResolveEndpoint(ParseResult parse) => DatabaseEndpoint.Resolve(ExplicitUrl(parse), Settings(parse));

    /// <summary>The first (for every command but the runner, the only) <c>--database-url</c>; null when none is given.</summary>
    public string? ExplicitUrl(ParseResult parse) => parse.GetValue(Url) is { Length: > 0 } urls ? urls[0] : null;

    /// <summary>The <c>--database-url</c> values after the first: the runner's other servers.</summary>
    public IReadOnlyList<string> OtherUrls(ParseResult parse) => parse.GetValue(Url) is { Length: > 1 } urls ? urls[1..] : [];

    /// <summary>The --database flags, else the Odoo config file's db_name; empty: the endpoint's database or discovery.</summary>
    public IReadOnlyList<string> ResolveDatabaseNames(ParseResult parse) =>
        parse.GetValue(Databases) is { Length: > 0 } named ? named : Settings(parse).DatabaseNames;

    /// <summary>The Odoo config file's dbfilter for requests to <paramref name="host"/>, or null when there is none.</summary>
    public static Func<string, bool>? DatabaseFilter(OdooSettings settings, string host) =>
        settings.DatabaseFilter is { } pattern ? OdooDatabaseFilter.Create(pattern, host).Matches : null;

    public QueueJobDatabases ResolveDatabases(ParseResult parse, string applicationName) =>
        new(ResolveEndpoint(parse), ResolveDatabaseNames(parse), applicationName);

    public static IReadOnlyDictionary<string, string?> EnvironmentVariables()
    {
        var result = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            result[(string)entry.Key] = entry.Value as string;
        }

        return result;
    }
}
