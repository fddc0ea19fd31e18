using System.Collections;
using System.CommandLine;
using QueueExporter.QueueJob.Connection;

namespace QueueExporter.Commands;

/// <summary>The database options every subcommand shares, and how they resolve to an endpoint.</summary>
internal sealed class DatabaseOptions
{
    public Option<string?> Url { get; } = new("--database-url")
    {
        Description = "PostgreSQL server as postgres://user:pass@host:port/db or an Npgsql connection string. "
            + $"Default: ${DatabaseEndpoint.UrlEnvironmentVariable}, else ODOO_QUEUE_JOB_JOBRUNNER_DB_HOST|PORT|USER|PASSWORD, else localhost:5432.",
    };

    public Option<string[]> Databases { get; } = new("--database")
    {
        Description = "A database to work on (repeatable). Default: the database of --database-url, else every database on the server that has a queue_job table.",
        AllowMultipleArgumentsPerToken = false,
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Url);
        command.Options.Add(Databases);
    }

    public DatabaseEndpoint ResolveEndpoint(ParseResult parse) => DatabaseEndpoint.Resolve(parse.GetValue(Url), EnvironmentVariables());

    public QueueJobDatabases ResolveDatabases(ParseResult parse, string applicationName) =>
        new(ResolveEndpoint(parse), parse.GetValue(Databases) ?? [], applicationName);

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
