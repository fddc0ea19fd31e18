using System.Text;
using Npgsql;
using QueueExporter.QueueJob.Schema;
using QueueExporter.TestSupport;

namespace QueueExporter.IntegrationTests.Faults;

/// <summary>
/// The end-of-test verdict on the table: every job a stream enqueued must exist and end in the state
/// its handler dictates (done or failed); none may be lost or left pending/enqueued/started. Waiting
/// for that is a poll with a deadline that allows for the dead-job rescue.
/// </summary>
public static class JobAudit
{
    private static readonly string[] Terminal = [JobStates.Done, JobStates.Failed, JobStates.Cancelled];

    /// <summary>One job's row at the end.</summary>
    public sealed record Row(string Uuid, string State, int Retry, string? ExcName, int? WorkerPid);

    /// <summary>Waits until every job is in a terminal state; returns the rows (a missing row is reported by <see cref="Problems"/>).</summary>
    public static async Task<IReadOnlyDictionary<string, Row>> WaitUntilSettledAsync(TestDatabase database, IReadOnlyList<StreamedJob> jobs, TimeSpan timeout)
    {
        IReadOnlyDictionary<string, Row> rows = new Dictionary<string, Row>();
        try
        {
            await Eventually.UntilAsync(
                async () =>
                {
                    if (await ReadAsync(database, jobs) is not { } read)
                    {
                        return false;
                    }

                    rows = read;
                    return jobs.All(j => rows.TryGetValue(j.Uuid, out var row) && Terminal.Contains(row.State));
                },
                timeout,
                "every job reaches done or failed");
        }
        catch (TimeoutException)
        {
            // The caller's assertion names the jobs that did not settle.
        }

        return rows;
    }

    /// <summary>One line per job that is missing, unsettled or in the wrong terminal state; empty when all is well.</summary>
    public static IReadOnlyList<string> Problems(IReadOnlyList<StreamedJob> jobs, IReadOnlyDictionary<string, Row> rows)
    {
        var problems = new List<string>();
        foreach (var job in jobs)
        {
            if (!rows.TryGetValue(job.Uuid, out var row))
            {
                problems.Add($"{job.Uuid} ({job.Mode}, {job.Seconds} s) is LOST: no row");
            }
            else if (row.State != job.ExpectedState)
            {
                problems.Add($"{job.Uuid} ({job.Mode}, {job.Seconds} s) is {row.State}, expected {job.ExpectedState} (retry {row.Retry}, exc {row.ExcName ?? "-"}, worker_pid {row.WorkerPid?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"})");
            }
        }

        return problems;
    }

    /// <summary>A summary line of states, e.g. <c>done 54, failed 6</c>.</summary>
    public static string Summary(IReadOnlyDictionary<string, Row> rows)
    {
        var text = new StringBuilder();
        foreach (var group in rows.Values.GroupBy(r => r.State).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            text.Append(text.Length > 0 ? ", " : "").Append(group.Key).Append(' ').Append(group.Count());
        }

        return text.ToString();
    }

    private static async Task<IReadOnlyDictionary<string, Row>?> ReadAsync(TestDatabase database, IReadOnlyList<StreamedJob> jobs)
    {
        var rows = new Dictionary<string, Row>(StringComparer.Ordinal);
        try
        {
            await using var connection = new NpgsqlConnection(database.Endpoint.ToConnectionString("qe-fault-audit", pooling: false));
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT uuid, state, COALESCE(retry, 0), exc_name, worker_pid FROM queue_job WHERE uuid = ANY(@uuids)", connection);
            command.Parameters.AddWithValue("uuids", jobs.Select(j => j.Uuid).ToArray());
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                rows[reader.GetString(0)] = new Row(reader.GetString(0), reader.GetString(1), reader.GetInt32(2), reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetInt32(4));
            }
        }
        catch (NpgsqlException)
        {
            // The database may still be coming back: the next poll reads again.
            return null;
        }

        return rows;
    }
}
