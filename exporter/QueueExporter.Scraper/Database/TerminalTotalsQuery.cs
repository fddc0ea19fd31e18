using Npgsql;
using QueueExporter.QueueJob.Schema;

namespace QueueExporter.Scraper.Database;

/// <summary>
/// Done and cancelled jobs per channel. These rows are most of a production table, so this runs
/// on its own slow cadence (<see cref="ScraperOptions.TerminalInterval"/>), never per scrape.
/// </summary>
public static class TerminalTotalsQuery
{
    private const string Sql = """
        SELECT coalesce(channel, 'root') AS channel, state, count(*) AS jobs
        FROM queue_job
        WHERE state = ANY(@states)
        GROUP BY 1, 2
        """;

    /// <summary>The terminal states counted for this table's version (failed is read with the active ones).</summary>
    public static IReadOnlyList<string> StatesOf(QueueJobSchema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        return [.. new[] { JobStates.Done, JobStates.Cancelled }.Where(schema.States.Contains)];
    }

    /// <summary>Counts the terminal jobs.</summary>
    public static async Task<IReadOnlyList<JobStateCount>> ReadAsync(
        NpgsqlConnection connection,
        IReadOnlyList<string> states,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var command = new NpgsqlCommand(Sql, connection);
        command.Parameters.AddWithValue("states", states.ToArray());
        var counts = new List<JobStateCount>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            counts.Add(new JobStateCount(reader.GetString(0), reader.GetString(1), reader.GetInt64(2), null));
        }

        return counts;
    }
}
