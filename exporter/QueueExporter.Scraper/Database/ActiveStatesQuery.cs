using Npgsql;
using QueueExporter.QueueJob.Schema;
using QueueExporter.QueueJob.Time;

namespace QueueExporter.Scraper.Database;

/// <summary>
/// Counts and oldest moments of the unfinished jobs, per channel and state. The WHERE on state goes
/// through the stock index on state, so the cost follows the unfinished jobs, not the history:
/// done and cancelled rows (millions, kept 30 days) and failed rows (never deleted by OCA) are
/// counted by <see cref="TerminalTotalsQuery"/> on its own slow loop.
/// </summary>
/// <remarks>
/// Without the optional monitoring index the query must be a bitmap scan of the state index: the
/// plan PostgreSQL 15 otherwise prefers, a plain index scan, walks the heap once per state, four
/// times over the unfinished jobs' pages (measured: 6,000 blocks instead of 1,700 for 30,000
/// unfinished jobs). With the index it is an index-only scan, which turning plain index scans
/// off would also penalise, so the setting follows the index, per session, before each read.
/// </remarks>
public static class ActiveStatesQuery
{
    /// <summary>States read on every refresh (those a table's version has, see <see cref="StatesOf"/>).</summary>
    public static readonly IReadOnlyList<string> ActiveStates =
        [JobStates.WaitDependencies, JobStates.Pending, JobStates.Enqueued, JobStates.Started];

    // Internal for the test that checks the optional monitoring index serves it as an index-only scan.
    internal const string Sql = """
        SELECT coalesce(channel, 'root') AS channel,
               state,
               count(*) AS jobs,
               CASE state
                   WHEN 'pending' THEN min(greatest(date_created, eta)) FILTER (WHERE eta IS NULL OR eta <= @now)
                   WHEN 'enqueued' THEN min(date_enqueued)
                   WHEN 'started' THEN min(date_started)
               END AS oldest
        FROM queue_job
        WHERE state = ANY(@states)
        GROUP BY 1, 2
        """;

    /// <summary>The unfinished states this table's version can hold.</summary>
    public static IReadOnlyList<string> StatesOf(QueueJobSchema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        return [.. ActiveStates.Where(schema.States.Contains)];
    }

    /// <summary>
    /// Reads the counts; <paramref name="now"/> decides which pending jobs are runnable;
    /// <paramref name="monitoringIndex"/> says whether the table has the optional index.
    /// </summary>
    public static async Task<IReadOnlyList<JobStateCount>> ReadAsync(
        NpgsqlConnection connection,
        IReadOnlyList<string> states,
        DateTimeOffset now,
        bool monitoringIndex,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using (var plan = new NpgsqlCommand("SELECT set_config('enable_indexscan', @on, false)", connection))
        {
            plan.Parameters.AddWithValue("on", monitoringIndex ? "on" : "off");
            await plan.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var command = new NpgsqlCommand(Sql, connection);
        command.Parameters.AddWithValue("states", states.ToArray());
        command.Parameters.AddWithValue("now", DbTime.ToDb(now));
        var counts = new List<JobStateCount>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            counts.Add(new JobStateCount(
                reader.GetString(0),
                reader.GetString(1),
                reader.GetInt64(2),
                reader.IsDBNull(3) ? null : DbTime.FromDb(reader.GetDateTime(3))));
        }

        return counts;
    }
}
