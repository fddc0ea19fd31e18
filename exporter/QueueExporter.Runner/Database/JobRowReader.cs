using Npgsql;
using NpgsqlTypes;
using QueueExporter.QueueJob.Time;
using QueueExporter.Runner.Channels;

namespace QueueExporter.Runner.Database;

/// <summary>
/// The runner's reads of queue_job, in one place: the full load of active jobs and the re-read of
/// changed rows by uuid (one statement for a whole notification batch, never one per uuid).
/// </summary>
internal static class JobRowReader
{
    // The columns the scheduler needs; every supported shape (12.0 to 18.0) has them.
    private const string Columns = "uuid, state, channel, COALESCE(priority, 10), date_created, id, eta";

    private const string LoadActiveSql =
        "SELECT " + Columns + " FROM queue_job WHERE state IN ('wait_dependencies', 'pending', 'enqueued', 'started', 'failed')";

    private const string ReadByUuidSql = "SELECT " + Columns + " FROM queue_job WHERE uuid = ANY(@uuids)";

    /// <summary>Every active job of <paramref name="database"/>; wait_dependencies rows are skipped (nothing to schedule yet).</summary>
    public static async Task<List<JobFacts>> LoadActiveAsync(NpgsqlConnection connection, string database, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(LoadActiveSql, connection);
        return await ReadAsync(command, database, cancellationToken);
    }

    /// <summary>The current facts of the rows with these uuids; uuids absent from the result have no row any more.</summary>
    public static async Task<List<JobFacts>> ReadByUuidsAsync(NpgsqlConnection connection, string database, IReadOnlyCollection<string> uuids, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(ReadByUuidSql, connection);
        command.Parameters.Add(new NpgsqlParameter<string[]>("uuids", NpgsqlDbType.Array | NpgsqlDbType.Varchar) { TypedValue = [.. uuids] });
        return await ReadAsync(command, database, cancellationToken);
    }

    private static async Task<List<JobFacts>> ReadAsync(NpgsqlCommand command, string database, CancellationToken cancellationToken)
    {
        var facts = new List<JobFacts>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var state = reader.GetString(1);
            if (state == "wait_dependencies")
            {
                continue;
            }

            facts.Add(new JobFacts(
                database,
                reader.GetString(0),
                state,
                reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.GetInt32(3),
                reader.IsDBNull(4) ? DateTimeOffset.MinValue : DbTime.FromDb(reader.GetDateTime(4)),
                reader.GetInt32(5),
                reader.IsDBNull(6) ? null : DbTime.FromDb(reader.GetDateTime(6))));
        }

        return facts;
    }
}
