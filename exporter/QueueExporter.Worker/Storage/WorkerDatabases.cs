using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Npgsql;
using QueueExporter.QueueJob.Connection;
using QueueExporter.QueueJob.Schema;

namespace QueueExporter.Worker.Storage;

/// <summary>
/// Which databases the worker serves, and one connection pool and detected schema per database.
/// The database name arrives in a query string: it is only ever looked up in the configured list or
/// in the result of discovery, never used to connect before that. Discovery runs again for an unknown
/// name at most once per <see cref="WorkerOptions.DiscoveryRefreshInterval"/>, so a flood of requests
/// for made-up names costs one catalog query per interval.
/// </summary>
internal sealed class WorkerDatabases : IAsyncDisposable
{
    private readonly WorkerOptions _options;
    private readonly DatabaseEndpoint _endpoint;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, Lazy<Task<ServedDatabase>>> _served = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _discovery = new(1, 1);
    private volatile HashSet<string>? _allowed;
    private DateTimeOffset _lastDiscovery = DateTimeOffset.MinValue;

    public WorkerDatabases(WorkerOptions options, TimeProvider clock, ILogger logger)
    {
        _options = options;
        _endpoint = options.Endpoint ?? throw new ArgumentException("worker: Endpoint is required", nameof(options));
        _clock = clock;
        _logger = logger;
        if (options.Databases.Count > 0)
        {
            _allowed = new HashSet<string>(options.Databases, StringComparer.Ordinal);
        }
        else if (_endpoint.Database is { } single)
        {
            _allowed = new HashSet<string>([single], StringComparer.Ordinal);
        }
    }

    private bool Discovers => _options.Databases.Count == 0 && _endpoint.Database is null;

    /// <summary>The served database of that name, or null when this worker does not serve it.</summary>
    public async Task<ServedDatabase?> FindAsync(string name, CancellationToken cancellationToken)
    {
        if (!await IsServedAsync(name, cancellationToken))
        {
            return null;
        }

        var entry = _served.GetOrAdd(name, n => new Lazy<Task<ServedDatabase>>(() => OpenAsync(n, cancellationToken)));
        try
        {
            return await entry.Value;
        }
        catch (Exception)
        {
            // A failed detection (server down, table dropped) is retried by the next request.
            _served.TryRemove(new KeyValuePair<string, Lazy<Task<ServedDatabase>>>(name, entry));
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var entry in _served.Values)
        {
            if (entry.IsValueCreated && entry.Value.IsCompletedSuccessfully)
            {
                await entry.Value.Result.DataSource.DisposeAsync();
            }
        }

        _discovery.Dispose();
    }

    private async Task<bool> IsServedAsync(string name, CancellationToken cancellationToken)
    {
        if (_allowed is { } allowed && allowed.Contains(name))
        {
            return true;
        }

        if (!Discovers)
        {
            return false;
        }

        await _discovery.WaitAsync(cancellationToken);
        try
        {
            if (_allowed is { } again && again.Contains(name))
            {
                return true;
            }

            if (_allowed is not null && _clock.GetUtcNow() - _lastDiscovery < _options.DiscoveryRefreshInterval)
            {
                return false;
            }

            var found = await new QueueJobDatabases(_endpoint, [], WorkerOptions.ApplicationName, _options.DatabaseFilter).DiscoverAsync(cancellationToken);
            _lastDiscovery = _clock.GetUtcNow();
            _allowed = new HashSet<string>(found, StringComparer.Ordinal);
            WorkerLog.DatabasesDiscovered(_logger, found.Count, string.Join(", ", found));
            return _allowed.Contains(name);
        }
        finally
        {
            _discovery.Release();
        }
    }

    private async Task<ServedDatabase> OpenAsync(string name, CancellationToken cancellationToken)
    {
        var endpoint = _endpoint.WithDatabase(name);
        // The worker changes no session state, so a pooled connection needs no DISCARD ALL (one transaction) on reuse.
        // Its few statements run for every job: prepared on each pooled connection after their second use, PostgreSQL
        // no longer parses and plans them each time (the worker's sessions were PostgreSQL's largest CPU per job,
        // docs/benchmarks.md). A column type changed under a prepared statement fails that one execution; Npgsql then
        // prepares it again.
        var dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(endpoint.ToConnectionString(WorkerOptions.ApplicationName))
        {
            NoResetOnClose = true,
            MaxPoolSize = _options.PoolSize,
            MaxAutoPrepare = 16,
            AutoPrepareMinUsages = 2,
        }.ConnectionString);
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            var schema = await SchemaDetector.DetectAsync(connection, cancellationToken);
            WorkerLog.DatabaseReady(_logger, name, schema.Shape.ToString(), schema.HasLockTable);
            return new ServedDatabase(name, endpoint, dataSource, new WorkerJobStore(schema));
        }
        catch
        {
            await dataSource.DisposeAsync();
            throw;
        }
    }
}
