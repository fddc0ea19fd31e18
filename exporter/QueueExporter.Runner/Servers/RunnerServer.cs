using QueueExporter.QueueJob.Connection;

namespace QueueExporter.Runner.Servers;

/// <summary>
/// One PostgreSQL server the runner serves, with the Odoo workers its databases' jobs go to: several
/// servers usually mean several Odoo installations, each with its own HTTP workers.
/// </summary>
/// <param name="Name">How metrics (<c>server</c> label), logs and the status page name it: <c>host:port</c>, never credentials.</param>
/// <param name="Endpoint">Where it is and how to log in.</param>
/// <param name="Databases">Databases to serve on it; empty: its endpoint's database, else every one with a queue_job table.</param>
/// <param name="DatabaseFilter">In discovery, which database names to serve (Odoo's dbfilter); null: all.</param>
/// <param name="WorkerUrl">Base URL of the Odoo HTTP workers for its databases.</param>
public sealed record RunnerServer(string Name, DatabaseEndpoint Endpoint, IReadOnlyList<string> Databases, Func<string, bool>? DatabaseFilter, Uri WorkerUrl)
{
    /// <summary>Whether its databases are found by listing the server (none named), and so can change while running.</summary>
    public bool Discovers => Databases.Count == 0 && Endpoint.Database is null;

    /// <summary>The name a server gets from its endpoint: <c>host:port</c>.</summary>
    public static string NameOf(DatabaseEndpoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return $"{endpoint.Host}:{endpoint.Port}";
    }

    /// <summary>A server named after its endpoint.</summary>
    public static RunnerServer For(DatabaseEndpoint endpoint, IReadOnlyList<string> databases, Func<string, bool>? filter, Uri workerUrl) =>
        new(NameOf(endpoint), endpoint, databases, filter, workerUrl);
}
