using Npgsql;
using QueueExporter.QueueJob.Connection;

namespace QueueExporter.Scraper.Database;

/// <summary>
/// Connection strings of the scraper's sessions on one database: every session carries the
/// statement timeout (server side, so a slow query is stopped by PostgreSQL itself) and an
/// application_name that lets a DBA, and the runner-session count, tell our sessions apart.
/// </summary>
/// <remarks>
/// Sessions that select many rows by a few values (<c>state = ANY(four states)</c>, a thousand
/// uuids) turn plain index scans off, so that the planner takes a bitmap scan: a plain index scan
/// walks the heap once per value, and read the unfinished jobs' pages four times per refresh
/// (measured: 6,000 blocks for 30,000 unfinished jobs), a bitmap scan reads each page once, in
/// physical order. Not every session: on PostgreSQL 15 the setting also penalises index-only
/// scans, which the refresh wants when the monitoring index exists (<see cref="ActiveStatesQuery"/>).
/// </remarks>
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
    /// <param name="endpoint">The server.</param>
    /// <param name="database">The database.</param>
    /// <param name="statementTimeout">The server-side statement timeout of every statement.</param>
    /// <param name="applicationName">How the sessions are named in pg_stat_activity.</param>
    /// <param name="bitmapScansOnly">Turn plain index scans off (see the remarks).</param>
    public static string For(DatabaseEndpoint endpoint, string database, TimeSpan statementTimeout, string applicationName = ApplicationName, bool bitmapScansOnly = false)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var builder = new NpgsqlConnectionStringBuilder(endpoint.WithDatabase(database).ToConnectionString(applicationName))
        {
            Options = StatementTimeoutOption(statementTimeout) + (bitmapScansOnly ? " -c enable_indexscan=off" : string.Empty),
            // The client gives up a little after the server would have, so the server's clear error wins.
            CommandTimeout = (int)Math.Ceiling(statementTimeout.TotalSeconds) + 5,
            Timeout = (int)Math.Clamp(Math.Ceiling(statementTimeout.TotalSeconds), 2, 30),
        };
        return builder.ConnectionString;
    }

    private static string StatementTimeoutOption(TimeSpan statementTimeout) =>
        FormattableString.Invariant($"-c statement_timeout={(long)statementTimeout.TotalMilliseconds}");
}
