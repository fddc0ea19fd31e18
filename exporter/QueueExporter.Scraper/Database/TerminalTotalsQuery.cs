using Npgsql;
using QueueExporter.QueueJob.Schema;

namespace QueueExporter.Scraper.Database;

/// <summary>
/// Done, cancelled and failed jobs: these rows are most of a production table (failed ones are
/// never deleted by OCA), so they are read on their own slow loop, never by the frequent refresh.
/// Two ways: the planner's statistics (catalog only, constant cost, approximate, no channel) and
/// an exact count of one state per channel (through the state index, cost grows with the state's rows).
/// </summary>
public static class TerminalTotalsQuery
{
    // reltuples is scaled to the table's current size the way the planner does it (rows per page
    // at the last ANALYZE times the pages now), so a table that grew since is not underestimated.
    // pg_relation_size reads the file size only; pg_stats shows rows for tables the role may read.
    private const string StatisticsSql = """
        SELECT CASE WHEN c.reltuples < 0 THEN -1
                    WHEN c.relpages > 0 THEN c.reltuples / c.relpages * (pg_catalog.pg_relation_size(c.oid) / current_setting('block_size')::float8)
                    ELSE c.reltuples END::float8 AS rows,
               s.null_frac::float8, s.n_distinct::float8, s.most_common_vals::text::text[], s.most_common_freqs::float8[]
        FROM pg_catalog.pg_class c
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_catalog.pg_stats s ON s.schemaname = n.nspname AND s.tablename = c.relname AND s.attname = 'state'
        WHERE c.oid = to_regclass('queue_job')
        """;

    private const string ChannelStatisticsSql = """
        SELECT s.null_frac::float8, s.most_common_vals::text::text[], s.most_common_freqs::float8[]
        FROM pg_catalog.pg_class c
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_catalog.pg_stats s ON s.schemaname = n.nspname AND s.tablename = c.relname AND s.attname = 'channel'
        WHERE c.oid = to_regclass('queue_job')
        """;

    private const string CountSql = """
        SELECT coalesce(channel, 'root') AS channel, count(*) AS jobs
        FROM queue_job
        WHERE state = @state
        GROUP BY 1
        """;

    /// <summary>The terminal states this table's version has.</summary>
    public static IReadOnlyList<string> StatesOf(QueueJobSchema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        return [.. new[] { JobStates.Done, JobStates.Cancelled, JobStates.Failed }.Where(schema.States.Contains)];
    }

    /// <summary>The planner's statistics of the state column, or null when the table was never analysed.</summary>
    public static async Task<StateStatistics?> ReadStatisticsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var command = new NpgsqlCommand(StatisticsSql, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken) || reader.IsDBNull(0) || reader.GetDouble(0) < 0 || reader.IsDBNull(1))
        {
            return null;
        }

        return new StateStatistics(
            reader.GetDouble(0),
            reader.GetDouble(1),
            reader.GetDouble(2),
            reader.IsDBNull(3) ? [] : reader.GetFieldValue<string[]>(3),
            reader.IsDBNull(4) ? [] : reader.GetFieldValue<double[]>(4));
    }

    /// <summary>The planner's statistics of the channel column, or null when it has none.</summary>
    public static async Task<ChannelStatistics?> ReadChannelStatisticsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var command = new NpgsqlCommand(ChannelStatisticsSql, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken) || reader.IsDBNull(0))
        {
            return null;
        }

        return new ChannelStatistics(
            reader.GetDouble(0),
            reader.IsDBNull(1) ? [] : reader.GetFieldValue<string[]>(1),
            reader.IsDBNull(2) ? [] : reader.GetFieldValue<double[]>(2));
    }

    /// <summary>Counts the jobs in one terminal state, per channel.</summary>
    public static async Task<IReadOnlyList<JobStateCount>> CountAsync(NpgsqlConnection connection, string state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var command = new NpgsqlCommand(CountSql, connection);
        command.Parameters.AddWithValue("state", state);
        var counts = new List<JobStateCount>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            counts.Add(new JobStateCount(reader.GetString(0), state, reader.GetInt64(1), null));
        }

        return counts;
    }
}
