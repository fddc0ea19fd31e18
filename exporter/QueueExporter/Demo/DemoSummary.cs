using Dapper;
using Npgsql;

namespace QueueExporter.Demo;

/// <summary>
/// What the demo shows a person every few seconds: jobs per state, completions per second, the latest
/// failures. Reads active states through the state index and recent completions by date_done (a demo
/// table is small; the scraper is what does this cheaply on a production table).
/// </summary>
/// <remarks>
/// A pending job waits either for its eta or for nothing but a free slot; wait_dependencies is a
/// state of its own (jobs whose parents have not finished). The summary keeps the three apart, so
/// that "waiting" never reads 0 while half the queue waits on an eta.
/// </remarks>
internal static class DemoSummary
{
    /// <summary>Longest failure message shown; longer ones are cut at a word and marked.</summary>
    public const int MessageLength = 72;

    // eta is naive UTC, as Odoo stores every date: compared with now() AT TIME ZONE 'UTC', not now().
    private const string CountsSql = """
        SELECT CASE WHEN state = 'pending' AND eta > (now() AT TIME ZONE 'UTC') THEN 'pending_eta' ELSE state END AS state,
               count(*)
        FROM queue_job GROUP BY 1
        """;

    private const string FailuresSql = """
        SELECT exc_name, left(split_part(coalesce(exc_message, ''), E'\n', 1), 400) AS message
        FROM queue_job WHERE state = 'failed' ORDER BY date_done DESC NULLS LAST, id DESC LIMIT 3
        """;

    public static async Task<(IReadOnlyDictionary<string, long> Counts, IReadOnlyList<string> Failures)> ReadAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var counts = (await connection.QueryAsync<(string State, long Count)>(new CommandDefinition(CountsSql, cancellationToken: cancellationToken)))
            .ToDictionary(r => r.State, r => r.Count, StringComparer.Ordinal);
        var failures = (await connection.QueryAsync<(string? Name, string Message)>(new CommandDefinition(FailuresSql, cancellationToken: cancellationToken)))
            .Select(f => $"{f.Name ?? "?"}: {Shorten(f.Message, MessageLength)}").ToList();
        return (counts, failures);
    }

    /// <summary>One summary line (and the new failures): counts as <see cref="ReadAsync"/> reads them, pending jobs whose eta is still ahead under "pending_eta".</summary>
    public static string Format(IReadOnlyDictionary<string, long> counts, long previousDone, TimeSpan interval, IReadOnlyList<string> failures, TimeSpan elapsed)
    {
        long Get(string state) => counts.TryGetValue(state, out var n) ? n : 0;
        var done = Get("done");
        var rate = interval > TimeSpan.Zero ? (done - previousDone) / interval.TotalSeconds : 0;
        var lines = new List<string>
        {
            $"[{elapsed:hh\\:mm\\:ss}] pending {Get("pending"),6}  eta {Get("pending_eta"),4}  deps {Get("wait_dependencies"),4}  enqueued {Get("enqueued"),4}  started {Get("started"),4}  done {done,7}  failed {Get("failed"),5}  | {rate,6:0.0} done/s",
        };
        lines.AddRange(failures.Select(f => "           new failure: " + f));
        return string.Join(Environment.NewLine, lines);
    }

    /// <summary>The last line: what the run fed and where the table stands.</summary>
    public static string FormatFinal(IReadOnlyDictionary<string, long> counts, long jobsFed, TimeSpan elapsed)
    {
        long Get(string state) => counts.TryGetValue(state, out var n) ? n : 0;
        return $"demo summary: fed {jobsFed} jobs in {elapsed.TotalSeconds:0} s; done {Get("done")}, failed {Get("failed")}, cancelled {Get("cancelled")}, "
            + $"still pending {Get("pending")} (+{Get("pending_eta")} waiting for their eta, {Get("wait_dependencies")} for their dependencies), running {Get("enqueued") + Get("started")}";
    }

    /// <summary>At most <paramref name="length"/> characters, cut at a word boundary with "…" when cut.</summary>
    public static string Shorten(string message, int length)
    {
        message = message.Trim();
        if (message.Length <= length)
        {
            return message;
        }

        var cut = message.LastIndexOf(' ', length - 1);
        return (cut > length / 2 ? message[..cut] : message[..(length - 1)]).TrimEnd(' ', ',', ';', ':', '.') + "…";
    }
}
