using Npgsql;
using QueueExporter.QueueJob.Enqueue;
using QueueExporter.QueueJob.Schema;
using QueueExporter.QueueJob.Time;
using QueueExporter.TestSupport;

namespace QueueExporter.IntegrationTests.Scraper;

/// <summary>
/// Moves jobs through their states the way Odoo's runner and worker write them, with explicit
/// timestamps, using only the columns the table's version has.
/// </summary>
internal sealed class QueueJobTableWriter
{
    private readonly TestDatabase _database;

    private QueueJobTableWriter(TestDatabase database, QueueJobSchema schema)
    {
        _database = database;
        Schema = schema;
    }

    public QueueJobSchema Schema { get; }

    public static async Task<QueueJobTableWriter> OpenAsync(TestDatabase database)
    {
        await using var connection = await database.OpenConnectionAsync();
        return new QueueJobTableWriter(database, await SchemaDetector.DetectAsync(connection, CancellationToken.None));
    }

    public async Task<IReadOnlyList<string>> EnqueueAsync(int count, string channel = "root", DateTimeOffset? eta = null)
    {
        await using var connection = await _database.OpenConnectionAsync();
        var jobs = Enumerable.Range(0, count)
            .Select(_ => new NewJob { ModelName = "res.partner", MethodName = "write", Channel = channel, Eta = eta })
            .ToList();
        return await new JobEnqueuer(Schema).EnqueueManyAsync(connection, jobs, null, CancellationToken.None);
    }

    public Task SetCreatedAsync(string uuid, DateTimeOffset created) =>
        ExecuteAsync("UPDATE queue_job SET date_created = @t WHERE uuid = @uuid", uuid, ("t", DbTime.ToDb(created)));

    public Task EnqueuedAsync(string uuid, DateTimeOffset at) =>
        ExecuteAsync("UPDATE queue_job SET state = 'enqueued', date_enqueued = @t WHERE uuid = @uuid", uuid, ("t", DbTime.ToDb(at)));

    public Task StartedAsync(string uuid, DateTimeOffset at) =>
        ExecuteAsync("UPDATE queue_job SET state = 'started', date_started = @t WHERE uuid = @uuid", uuid, ("t", DbTime.ToDb(at)));

    public Task DoneAsync(string uuid, DateTimeOffset at, double execTime) => ExecuteAsync(
        Schema.HasColumn("exec_time")
            ? "UPDATE queue_job SET state = 'done', date_done = @t, exec_time = @e WHERE uuid = @uuid"
            : "UPDATE queue_job SET state = 'done', date_done = @t WHERE uuid = @uuid",
        uuid,
        ("t", DbTime.ToDb(at)),
        ("e", execTime));

    public Task FailedAsync(string uuid, string exception) => ExecuteAsync(
        Schema.HasColumn("exc_name")
            ? "UPDATE queue_job SET state = 'failed', exc_name = @x WHERE uuid = @uuid"
            : "UPDATE queue_job SET state = 'failed' WHERE uuid = @uuid",
        uuid,
        ("x", exception));

    public Task CancelledAsync(string uuid, DateTimeOffset at) =>
        ExecuteAsync("UPDATE queue_job SET state = 'cancelled', date_cancelled = @t WHERE uuid = @uuid", uuid, ("t", DbTime.ToDb(at)));

    public Task RequeuedAsync(string uuid) =>
        ExecuteAsync("UPDATE queue_job SET state = 'pending', date_enqueued = NULL, date_started = NULL, date_done = NULL WHERE uuid = @uuid", uuid);

    /// <summary>What a direct SQL count says, per (channel, state).</summary>
    public async Task<Dictionary<(string Channel, string State), long>> CountAsync()
    {
        await using var connection = await _database.OpenConnectionAsync();
        await using var command = new NpgsqlCommand("SELECT channel, state, count(*) FROM queue_job GROUP BY 1, 2", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var counts = new Dictionary<(string, string), long>();
        while (await reader.ReadAsync())
        {
            counts[(reader.GetString(0), reader.GetString(1))] = reader.GetInt64(2);
        }

        return counts;
    }

    private async Task ExecuteAsync(string sql, string uuid, params (string Name, object Value)[] parameters)
    {
        await using var connection = await _database.OpenConnectionAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("uuid", uuid);
        foreach (var (name, value) in parameters)
        {
            if (sql.Contains("@" + name, StringComparison.Ordinal))
            {
                command.Parameters.AddWithValue(name, value);
            }
        }

        await command.ExecuteNonQueryAsync();
    }
}
