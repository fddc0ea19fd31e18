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
public static class ActiveStatesQuery
{
    /// <summary>States read on every refresh (those a table's version has, see <see cref="StatesOf"/>).</summary>
    public static readonly IReadOnlyList<string> ActiveStates =
        [JobStates.WaitDependencies, JobStates.Pending, JobStates.Enqueued, JobStates.Started];

    private const string Sql = """
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

    /// <summary>Reads the counts; <paramref name="now"/> decides which pending jobs are runnable.</summary>
    public static async Task<IReadOnlyList<JobStateCount>> ReadAsync(
        NpgsqlConnection connection,
        IReadOnlyList<string> states,
        DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
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
