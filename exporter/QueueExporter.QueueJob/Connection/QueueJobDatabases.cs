using Npgsql;

namespace QueueExporter.QueueJob.Connection;

/// <summary>
/// Which databases to work on: the ones named, or — when none is named — every database on the server
/// that has a queue_job table (as OCA's runner finds the databases with queue_job installed).
/// The list is sorted, because runners take leader locks in that order to avoid deadlocks between them.
/// </summary>
public sealed class QueueJobDatabases
{
    private const string ListDatabasesSql = "SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY datname";
    private const int ParallelChecks = 4;
    private const string HasTableSql = "SELECT to_regclass('queue_job') IS NOT NULL";

    private readonly DatabaseEndpoint _endpoint;
    private readonly IReadOnlyList<string> _named;
    private readonly string _applicationName;
    private readonly Func<string, bool>? _accept;

    /// <summary>
    /// Names to use as given, or an empty list for discovery. <paramref name="accept"/>, if given, is asked
    /// about each discovered name before connecting to it (Odoo's dbfilter); it never drops a named database.
    /// </summary>
    public QueueJobDatabases(DatabaseEndpoint endpoint, IReadOnlyList<string> named, string applicationName, Func<string, bool>? accept = null)
    {
        _endpoint = endpoint ?? throw new ArgumentNullException(nameof(endpoint));
        _named = named ?? throw new ArgumentNullException(nameof(named));
        _applicationName = applicationName;
        _accept = accept;
    }

    /// <summary>The named databases, else the endpoint's own database, else discovery.</summary>
    public async Task<IReadOnlyList<string>> ResolveAsync(CancellationToken cancellationToken)
    {
        if (_named.Count > 0)
        {
            return [.. _named.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        }

        if (_endpoint.Database is { } single)
        {
            return [single];
        }

        return await DiscoverAsync(cancellationToken);
    }

    private async Task<bool> HasQueueJobAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = new NpgsqlConnection(_endpoint.WithDatabase(name).ToConnectionString(_applicationName, pooling: false));
            await connection.OpenAsync(cancellationToken);
            // Plain Npgsql, not Dapper: discovery runs in the runner and scraper, which build with Native AOT.
            await using var command = new NpgsqlCommand(HasTableSql, connection);
            return await command.ExecuteScalarAsync(cancellationToken) is true;
        }
        catch (NpgsqlException)
        {
            // A database we may not enter, or one dropped or restarting meanwhile, is skipped now
            // and found again by the next discovery if it has queue_job.
            return false;
        }
    }

    /// <summary>Every database on the server that has a queue_job table.</summary>
    /// <param name="cancellationToken">Stops the discovery.</param>
    /// <param name="known">Databases already known to have the table: kept while they exist, without connecting to them again.</param>
    public async Task<IReadOnlyList<string>> DiscoverAsync(CancellationToken cancellationToken, IReadOnlySet<string>? known = null)
    {
        List<string> candidates;
        await using (var maintenance = new NpgsqlConnection(_endpoint.WithDatabase("postgres").ToConnectionString(_applicationName, pooling: false)))
        {
            await maintenance.OpenAsync(cancellationToken);
            candidates = [];
            await using var command = new NpgsqlCommand(ListDatabasesSql, maintenance);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                candidates.Add(reader.GetString(0));
            }
        }

        // Checking a database means a connection to it: a few at once, so that a server with hundreds of
        // databases is listed in seconds without a burst of connections beside Odoo's.
        var hasTable = new bool[candidates.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, candidates.Count),
            new ParallelOptions { MaxDegreeOfParallelism = ParallelChecks, CancellationToken = cancellationToken },
            async (i, token) => hasTable[i] = _accept?.Invoke(candidates[i]) != false
                && (known?.Contains(candidates[i]) == true || await HasQueueJobAsync(candidates[i], token)));
        var found = candidates.Where((_, i) => hasTable[i]).ToList();
        return found;
    }
}
