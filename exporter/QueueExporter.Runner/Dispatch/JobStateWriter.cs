using Npgsql;
using NpgsqlTypes;
using QueueExporter.QueueJob.Time;
using QueueExporter.Runner.Leadership;

namespace QueueExporter.Runner.Dispatch;

/// <summary>
/// The runner's writes to queue_job, in one place. Every write is guarded by the state it expects
/// (OCA's runner is not), so a runner acting on stale facts changes nothing instead of clobbering a
/// job that a worker or a person has moved on, and fenced by the lease it acts for
/// (<see cref="LeaseFence"/>), so a runner that lost the leader lock changes nothing at all.
/// </summary>
internal static class JobStateWriter
{
    private const string MarkEnqueuedSql =
        "UPDATE queue_job SET state = 'enqueued', date_enqueued = @now WHERE uuid = ANY(@uuids) AND state = 'pending' AND "
        + LeaseFence.Predicate + " RETURNING uuid";

    private const string ResetToPendingSql =
        "UPDATE queue_job SET state = 'pending' WHERE uuid = @uuid AND state = 'enqueued' AND " + LeaseFence.Predicate;

    /// <summary>Moves the still-pending jobs among <paramref name="uuids"/> to enqueued in one statement; returns the uuids it moved.</summary>
    public static async Task<HashSet<string>> MarkEnqueuedAsync(NpgsqlConnection connection, Lease lease, IReadOnlyCollection<string> uuids, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var batch = FencedBatch(connection, MarkEnqueuedSql, out var command);
        command.Parameters.Add(new NpgsqlParameter<DateTime>("now", NpgsqlDbType.Timestamp) { TypedValue = DbTime.ToDb(now) });
        command.Parameters.Add(new NpgsqlParameter<string[]>("uuids", NpgsqlDbType.Array | NpgsqlDbType.Varchar) { TypedValue = [.. uuids] });
        LeaseFence.AddParameters(command.Parameters, lease);
        var moved = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        await reader.NextResultAsync(cancellationToken); // past the barrier's row
        while (await reader.ReadAsync(cancellationToken))
        {
            moved.Add(reader.GetString(0));
        }

        return moved;
    }

    /// <summary>
    /// Plans the enqueue batch on <paramref name="connection"/> without running it (EXPLAIN: nothing is locked, written
    /// or notified): the first dispatch then finds the server's caches for the table, its indexes and the fence filled,
    /// and the client's code for these parameter types compiled. The lease is <see cref="Lease.None"/>; no row is read.
    /// </summary>
    public static async Task PlanEnqueueAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands = { new NpgsqlBatchCommand("EXPLAIN " + LeaseFence.Barrier), new NpgsqlBatchCommand("EXPLAIN " + MarkEnqueuedSql) },
        };
        var command = batch.BatchCommands[1];
        command.Parameters.Add(new NpgsqlParameter<DateTime>("now", NpgsqlDbType.Timestamp) { TypedValue = DbTime.ToDb(DateTimeOffset.UnixEpoch) });
        command.Parameters.Add(new NpgsqlParameter<string[]>("uuids", NpgsqlDbType.Array | NpgsqlDbType.Varchar) { TypedValue = [] });
        LeaseFence.AddParameters(command.Parameters, Lease.None);
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        do
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                _ = reader.GetString(0);
            }
        }
        while (await reader.NextResultAsync(cancellationToken));
    }

    /// <summary>Puts a job the worker never received back to pending, if nobody has moved it since.</summary>
    public static async Task<bool> ResetToPendingAsync(NpgsqlConnection connection, Lease lease, string uuid, CancellationToken cancellationToken)
    {
        await using var batch = FencedBatch(connection, ResetToPendingSql, out var command);
        command.Parameters.AddWithValue("uuid", NpgsqlDbType.Varchar, uuid);
        LeaseFence.AddParameters(command.Parameters, lease);
        await batch.ExecuteNonQueryAsync(cancellationToken);
        return command.RecordsAffected > 0;
    }

    /// <summary>The barrier and the write in one round trip and one (implicit) transaction; <paramref name="write"/> is the second command.</summary>
    private static NpgsqlBatch FencedBatch(NpgsqlConnection connection, string sql, out NpgsqlBatchCommand write)
    {
        write = new NpgsqlBatchCommand(sql);
        return new NpgsqlBatch(connection) { BatchCommands = { new NpgsqlBatchCommand(LeaseFence.Barrier), write } };
    }
}
