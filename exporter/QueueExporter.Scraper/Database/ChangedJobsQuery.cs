using System.Data;
using Npgsql;
using QueueExporter.QueueJob.Schema;
using QueueExporter.QueueJob.Time;

namespace QueueExporter.Scraper.Database;

/// <summary>
/// Reads the rows the completion follower needs: changed jobs by uuid (one query per batch, via
/// the uuid index) and the uuid/state of every job not yet completed (via the state index, in
/// bounded batches).
/// Columns a table's version lacks are read as NULL.
/// </summary>
public sealed class ChangedJobsQuery
{
    /// <summary>States of jobs that may still complete.</summary>
    public static readonly IReadOnlyList<string> UnfinishedStates =
        [JobStates.WaitDependencies, JobStates.Pending, JobStates.Enqueued, JobStates.Started];

    /// <summary>Rows per statement of <see cref="ReadUnfinishedAsync"/>: each reads at most this many heap rows.</summary>
    public const int UnfinishedBatchSize = 10_000;

    private const string DeclareUnfinishedSql = "DECLARE unfinished_jobs NO SCROLL CURSOR FOR SELECT uuid, state FROM queue_job WHERE state = ANY(@states)";

    private readonly string _byUuidSql;

    /// <summary>Prepares the statements for the columns <paramref name="schema"/> has.</summary>
    public ChangedJobsQuery(QueueJobSchema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        string Column(string name, string type) => schema.HasColumn(name) ? name : $"NULL::{type}";
        _byUuidSql = $"""
            SELECT uuid, state, coalesce(channel, 'root'), {Column("exc_name", "varchar")}, {Column("exec_time", "float8")},
                   date_created, eta, date_started, date_done, {Column("date_cancelled", "timestamp")},
                   model_name || '.' || method_name, {Column("retry", "int4")}
            FROM queue_job
            WHERE uuid = ANY(@uuids)
            """;
    }

    /// <summary>Reads the rows of <paramref name="uuids"/> that still exist.</summary>
    public async Task<IReadOnlyList<JobRow>> ReadByUuidAsync(NpgsqlConnection connection, IReadOnlyCollection<string> uuids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(uuids);
        await using var command = new NpgsqlCommand(_byUuidSql, connection);
        command.Parameters.AddWithValue("uuids", uuids.ToArray());
        var rows = new List<JobRow>(uuids.Count);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new JobRow(
                reader.GetString(0),
                reader.GetString(1),
                reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetDouble(4),
                Time(reader, 5),
                Time(reader, 6),
                Time(reader, 7),
                Time(reader, 8),
                Time(reader, 9),
                reader.IsDBNull(10) ? null : reader.GetString(10),
                reader.IsDBNull(11) ? null : reader.GetInt32(11)));
        }

        return rows;
    }

    /// <summary>
    /// Reads uuid and state of every job that may still complete, <paramref name="batchSize"/> rows
    /// per statement: one query over a 300,000-job backlog could outlast the statement timeout
    /// every time under load, and so never finish; a cursor in one snapshot lets each FETCH read a
    /// bounded share while the whole read stays one consistent picture.
    /// </summary>
    public static async Task<IReadOnlyList<(string Uuid, string State)>> ReadUnfinishedAsync(
        NpgsqlConnection connection,
        CancellationToken cancellationToken,
        int batchSize = UnfinishedBatchSize)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
        // A cursor is planned for its first 10 % of rows (cursor_tuple_fraction), which makes a
        // sequential scan of the whole table look cheaper than the bitmap scan of the state index
        // (measured: 5,467 blocks instead of 1,539 at 100,000 rows). We read every row: plan for all.
        await using (var plan = new NpgsqlCommand("SET LOCAL cursor_tuple_fraction = 1", connection, transaction))
        {
            await plan.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var declare = new NpgsqlCommand(DeclareUnfinishedSql, connection, transaction))
        {
            declare.Parameters.AddWithValue("states", UnfinishedStates.ToArray());
            await declare.ExecuteNonQueryAsync(cancellationToken);
        }

        var jobs = new List<(string, string)>();
        await using var fetch = new NpgsqlCommand(FormattableString.Invariant($"FETCH FORWARD {batchSize} FROM unfinished_jobs"), connection, transaction);
        int read;
        do
        {
            read = 0;
            await using var reader = await fetch.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                jobs.Add((reader.GetString(0), reader.GetString(1)));
                read++;
            }
        }
        while (read == batchSize);

        await transaction.CommitAsync(cancellationToken);
        return jobs;
    }

    private static DateTimeOffset? Time(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : DbTime.FromDb(reader.GetDateTime(ordinal));
}
