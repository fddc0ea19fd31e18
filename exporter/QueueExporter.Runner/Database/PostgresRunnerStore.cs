using Npgsql;
using QueueExporter.QueueJob.Connection;
using QueueExporter.QueueJob.Schema;
using QueueExporter.Runner.Dispatch;
using QueueExporter.Runner.Leadership;
using QueueExporter.Runner.Rescue;
using QueueExporter.Runner.Servers;

namespace QueueExporter.Runner.Database;

/// <summary>
/// <see cref="IRunnerStore"/> on a real database: a small pool of its own (the listening session is
/// separate), each use of it within the runner-wide <see cref="ConnectionBudget"/>, every statement
/// retried once on a fresh connection when the pooled one turns out to be dead (<see cref="BrokenConnectionRetry"/>),
/// one connection kept while work comes and none once the database is at rest (<see cref="IdlePoolCloser"/>).
/// </summary>
internal sealed class PostgresRunnerStore : IRunnerStore
{
    private readonly string _database;
    private readonly NpgsqlDataSource _dataSource;
    private readonly ConnectionBudget _budget;
    private readonly IdlePoolCloser _idle;
    // One per database: it remembers, between passes, since when each candidate has looked dead.
    private readonly DeadJobRescuer _rescuer;
    private QueueJobSchema? _schema;

    /// <param name="address">The database: rows read are named by its key, connections go to its name on <paramref name="server"/>.</param>
    /// <param name="server">The server it lives on.</param>
    /// <param name="options">The runner's settings.</param>
    /// <param name="budget">The runner-wide connection budget.</param>
    /// <param name="time">The clock.</param>
    public PostgresRunnerStore(DatabaseAddress address, RunnerServer server, RunnerOptions options, ConnectionBudget budget, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(server);
        _database = address.Key;
        _budget = budget;
        // Built-in types only (text, integers, float8, booleans, varchar[]), as on the leader session: no load of the
        // server's whole pg_type catalogue on the pool's first connection, which stood between the lock and the first rows.
        _dataSource = new NpgsqlDataSourceBuilder(ConnectionString(server.Endpoint.WithDatabase(address.Name), options))
            .ConfigureTypeLoading(types => types.EnableTypeLoading(false))
            .Build();
        _idle = new IdlePoolCloser(time, ClearPool);
        _rescuer = new DeadJobRescuer(time, options.DeadJobGrace, options.RescueTimeout, DeadJobRescuer.DefaultBatchLimit);
    }

    public Task LoadActiveAsync(NpgsqlConnection? session, IJobLoadSink sink, CancellationToken cancellationToken) =>
        session is not null
            ? JobRowReader.LoadActiveAsync(session, _database, sink, cancellationToken)
            : PooledAsync(
                async c =>
                {
                    await JobRowReader.LoadActiveAsync(c, _database, sink, cancellationToken);
                    return true;
                },
                cancellationToken);

    public Task WarmUpAsync(CancellationToken cancellationToken) =>
        BudgetedAsync(
            async () =>
            {
                await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
                await JobStateWriter.PlanEnqueueAsync(connection, cancellationToken);
                return true;
            },
            cancellationToken);

    public Task<JobRows> ReadByUuidsAsync(IReadOnlyCollection<string> uuids, CancellationToken cancellationToken) =>
        PooledAsync(c => JobRowReader.ReadByUuidsAsync(c, _database, uuids, cancellationToken), cancellationToken);

    public Task<IReadOnlyList<RescuedJob>> RescueAsync(Lease lease, NpgsqlConnection? session, CancellationToken cancellationToken)
    {
        async Task<IReadOnlyList<RescuedJob>> RescueOn(NpgsqlConnection connection)
        {
            _schema ??= await SchemaDetector.DetectAsync(connection, cancellationToken);
            return await _rescuer.RescueAsync(connection, _schema, lease, cancellationToken);
        }

        return session is not null ? RescueOn(session) : PooledAsync(RescueOn, cancellationToken);
    }

    public Task<HashSet<string>> MarkEnqueuedAsync(Lease lease, IReadOnlyCollection<string> uuids, DateTimeOffset now, CancellationToken cancellationToken) =>
        PooledAsync(c => JobStateWriter.MarkEnqueuedAsync(c, lease, uuids, now, cancellationToken), cancellationToken);

    public Task<bool> IsLeaseHeldAsync(Lease lease, CancellationToken cancellationToken) =>
        PooledAsync(
            async connection =>
            {
                await using var command = new NpgsqlCommand("SELECT " + LeaseFence.Predicate, connection);
                LeaseFence.AddParameters(command.Parameters, lease);
                return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
            },
            cancellationToken);

    public Task<bool> ResetToPendingAsync(Lease lease, string uuid, CancellationToken cancellationToken) =>
        BudgetedAsync(
            async () =>
            {
                await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
                return await JobStateWriter.ResetToPendingAsync(connection, lease, uuid, cancellationToken);
            },
            cancellationToken);

    public ValueTask DisposeAsync()
    {
        _idle.Dispose();
        return _dataSource.DisposeAsync();
    }

    private Task<T> PooledAsync<T>(Func<NpgsqlConnection, Task<T>> work, CancellationToken cancellationToken) =>
        BudgetedAsync(() => BrokenConnectionRetry.RunAsync(_dataSource, work, cancellationToken), cancellationToken);

    // Every use of the pool goes through here: the wait for a budget slot counts as use, so a database whose work
    // queues behind other databases' keeps its connection.
    private async Task<T> BudgetedAsync<T>(Func<Task<T>> work, CancellationToken cancellationToken)
    {
        _idle.Began();
        try
        {
            return await _budget.RunAsync(work, cancellationToken);
        }
        finally
        {
            _idle.Ended();
        }
    }

    private void ClearPool()
    {
        try
        {
            _dataSource.Clear();
        }
        catch (ObjectDisposedException)
        {
            // The store was disposed while the quiet timer fired: its connections are closed already.
        }
    }

    private static string ConnectionString(DatabaseEndpoint endpoint, RunnerOptions options) =>
        new NpgsqlConnectionStringBuilder(endpoint.ToConnectionString(options.ApplicationName))
        {
            // The runner's commands never change session state, so returning a connection to the pool needs
            // no DISCARD ALL: that reset would otherwise count as one more transaction per command.
            NoResetOnClose = true,
            // The runner's own writes (enqueued marks, rescues, requeues) need no disk flush of their own: if one
            // is lost in a crash the job is simply pending again or rescued, and the worker's durable "started"
            // commit flushes the WAL before it anyway. This takes a flush off every dispatch.
            Options = "-c synchronous_commit=off",
            // The same few statements run for every job (the re-read, the fenced enqueue UPDATE): prepared on each pooled
            // connection after their second use, they skip PostgreSQL's parse and plan and the client's decoding of
            // the row description on every later run. Their result columns are cast to fixed types, so a column
            // added to queue_job never changes a prepared statement's result.
            MaxAutoPrepare = 16,
            AutoPrepareMinUsages = 2,
            // At rest a database keeps only its listening session (the rescue and the safety poll run on it):
            // pooled connections serve bursts of work; Npgsql prunes those beyond the first after a short idle
            // time, and IdlePoolCloser closes the first once the database is at rest.
            MaxPoolSize = options.MaxPoolSizePerDatabase,
            MinPoolSize = 1,
            ConnectionIdleLifetime = 5,
            ConnectionPruningInterval = 2,
        }.ConnectionString;
}
