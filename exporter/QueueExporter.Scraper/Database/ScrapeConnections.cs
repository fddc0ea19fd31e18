using Npgsql;
using QueueExporter.QueueJob.Connection;

namespace QueueExporter.Scraper.Database;

/// <summary>
/// Connection strings of the scraper's sessions on one database: every session carries the
/// statement timeout (server side, so a slow query is stopped by PostgreSQL itself) and an
/// application_name that lets a DBA, and the runner-session count, tell our sessions apart.
/// </summary>
public static class ScrapeConnections
{
    /// <summary>application_name of the refresh and follower sessions.</summary>
    public const string ApplicationName = "queue-exporter-scrape";

    /// <summary>application_name of the follower's LISTEN session.</summary>
    public const string ListenerApplicationName = "queue-exporter-scrape-listener";

    /// <summary>
    /// The same endpoint with the statement timeout in its connection options, so that sessions
    /// opened by shared code (database discovery) are bounded too.
    /// </summary>
    public static DatabaseEndpoint WithStatementTimeout(DatabaseEndpoint endpoint, TimeSpan statementTimeout)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var builder = new NpgsqlConnectionStringBuilder(endpoint.ToConnectionString(ApplicationName))
        {
            Options = StatementTimeoutOption(statementTimeout),
        };
        return DatabaseEndpoint.Parse(builder.ConnectionString);
    }

    /// <summary>Builds the connection string for <paramref name="database"/>.</summary>
    public static string For(DatabaseEndpoint endpoint, string database, TimeSpan statementTimeout, string applicationName = ApplicationName)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var builder = new NpgsqlConnectionStringBuilder(endpoint.WithDatabase(database).ToConnectionString(applicationName))
        {
            Options = StatementTimeoutOption(statementTimeout),
            // The client gives up a little after the server would have, so the server's clear error wins.
            CommandTimeout = (int)Math.Ceiling(statementTimeout.TotalSeconds) + 5,
            Timeout = (int)Math.Clamp(Math.Ceiling(statementTimeout.TotalSeconds), 2, 30),
        };
        return builder.ConnectionString;
    }

    private static string StatementTimeoutOption(TimeSpan statementTimeout) =>
        FormattableString.Invariant($"-c statement_timeout={(long)statementTimeout.TotalMilliseconds}");
}
