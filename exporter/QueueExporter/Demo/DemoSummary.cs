using Dapper;
using Npgsql;

namespace QueueExporter.Demo;

/// <summary>
/// What the demo shows a person every few seconds: jobs per state, completions per second, the latest
/// failures. Reads active states through the state index and recent completions by date_done (a demo
/// table is small; the scraper is what does this cheaply on a production table).
/// </summary>
internal static class DemoSummary
{
    private const string CountsSql = "SELECT state, count(*) FROM queue_job GROUP BY state";
    private const string FailuresSql = """
        SELECT exc_name, left(coalesce(exc_message, ''), 60) AS message
        FROM queue_job WHERE state = 'failed' ORDER BY date_done DESC NULLS LAST, id DESC LIMIT 3
        """;

    public static async Task<(IReadOnlyDictionary<string, long> Counts, IReadOnlyList<string> Failures)> ReadAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var counts = (await connection.QueryAsync<(string State, long Count)>(new CommandDefinition(CountsSql, cancellationToken: cancellationToken)))
            .ToDictionary(r => r.State, r => r.Count, StringComparer.Ordinal);
        var failures = (await connection.QueryAsync<(string? Name, string Message)>(new CommandDefinition(FailuresSql, cancellationToken: cancellationToken)))
            .Select(f => $"{f.Name ?? "?"}: {f.Message}").ToList();
        return (counts, failures);
    }

    public static string Format(IReadOnlyDictionary<string, long> counts, long previousDone, TimeSpan interval, IReadOnlyList<string> failures, TimeSpan elapsed)
    {
        long Get(string state) => counts.TryGetValue(state, out var n) ? n : 0;
        var done = Get("done");
        var rate = interval > TimeSpan.Zero ? (done - previousDone) / interval.TotalSeconds : 0;
        var lines = new List<string>
        {
            $"[{elapsed:hh\\:mm\\:ss}] pending {Get("pending"),6}  enqueued {Get("enqueued"),4}  started {Get("started"),4}  waiting {Get("wait_dependencies"),4}  done {done,7}  failed {Get("failed"),5}  | {rate,6:0.0} done/s",
        };
        lines.AddRange(failures.Select(f => "           latest failure: " + f));
        return string.Join(Environment.NewLine, lines);
    }
}
