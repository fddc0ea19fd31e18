using Npgsql;
using NpgsqlTypes;
using QueueExporter.QueueJob.Schema;

namespace QueueExporter.Runner.Database;

/// <summary>
/// The runner's reads of queue_job, in one place: the full load of active jobs and the re-read of
/// changed rows by uuid (one statement for a whole notification batch, never one per uuid). Every
/// value is selected in a form .NET can always hold (text, int4, timestamps as float8 epoch seconds),
/// and decoded by <see cref="JobRowDecoder"/>: a hostile row is skipped or clamped, never thrown.
/// </summary>
internal static class JobRowReader
{
    // The columns the scheduler needs; every supported shape (12.0 to 18.0) has them. extract(epoch ...)
    // of a naive timestamp reads it as UTC, which is what Odoo stores; infinity stays a float8 infinity.
    private const string Columns = """
        uuid::text, state::text, channel::text,
        LEAST(GREATEST(COALESCE(priority, 10)::bigint, -2147483648), 2147483647)::int4,
        extract(epoch FROM date_created)::float8, COALESCE(id::bigint, 0), extract(epoch FROM eta)::float8
        """;

    private const string LoadActiveSql =
        "SELECT " + Columns + " FROM queue_job WHERE state IN ('pending', 'enqueued', 'started', 'failed')";

    private const string ReadByUuidSql = "SELECT " + Columns + " FROM queue_job WHERE uuid = ANY(@uuids)";

    /// <summary>Every active job of <paramref name="database"/> (wait_dependencies rows are not read: nothing to schedule yet).</summary>
    public static async Task<JobRows> LoadActiveAsync(NpgsqlConnection connection, string database, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(LoadActiveSql, connection);
        return await ReadAsync(command, database, cancellationToken);
    }

    /// <summary>The current facts of the rows with these uuids; a uuid without facts has no row the scheduler can hold any more.</summary>
    public static async Task<JobRows> ReadByUuidsAsync(NpgsqlConnection connection, string database, IReadOnlyCollection<string> uuids, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(ReadByUuidSql, connection);
        command.Parameters.Add(new NpgsqlParameter<string[]>("uuids", NpgsqlDbType.Array | NpgsqlDbType.Varchar) { TypedValue = [.. uuids] });
        return await ReadAsync(command, database, cancellationToken);
    }

    private static async Task<JobRows> ReadAsync(NpgsqlCommand command, string database, CancellationToken cancellationToken)
    {
        var rows = JobRows.Empty();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var uuid = reader.IsDBNull(0) ? null : reader.GetString(0);
            var state = reader.IsDBNull(1) ? null : reader.GetString(1);
            if (state == JobStates.WaitDependencies)
            {
                continue;
            }

            // Ids only order jobs created in the same instant: clamping a bigint id keeps the row schedulable.
            var id = reader.GetInt64(5);
            var skip = JobRowDecoder.TryDecode(
                database,
                uuid,
                state,
                reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.GetInt32(3),
                reader.IsDBNull(4) ? null : reader.GetDouble(4),
                (int)Math.Clamp(id, int.MinValue, int.MaxValue),
                reader.IsDBNull(6) ? null : reader.GetDouble(6),
                out var facts,
                out var clamped);
            if (skip is not null)
            {
                rows.Skipped.Add((skip, id));
                continue;
            }

            if (clamped)
            {
                rows.Skipped.Add((SkipReasons.ClampedTimestamp, id));
            }

            rows.Facts.Add(facts);
        }

        return rows;
    }
}
