using Dapper;
using QueueExporter.QueueJob.Enqueue;
using QueueExporter.Runner.Database;
using QueueExporter.TestSupport;
using Xunit.Abstractions;
using static QueueExporter.IntegrationTests.Runner.RunnerDispatchTests;

namespace QueueExporter.IntegrationTests.Runner;

/// <summary>
/// Any row PostgreSQL can store must be survivable: seeded, generated rows with every scheduling column
/// at its type's extremes, NULL where Odoo never leaves one, junk states and huge strings go through the
/// real row reader. The database stays served, a normal job inserted after them runs, and each row the
/// runner cannot schedule as stored is counted once, by reason.
/// </summary>
public class HostileRowTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static readonly string?[] Timestamps =
        [null, "infinity", "-infinity", "4713-01-01 00:00:00 BC", "294276-12-31 23:59:59", "0001-01-01 00:00:00", "9999-12-31 23:59:59", "2026-01-01 12:00:00"];

    private static readonly string?[] Channels = [null, "", "root", "root..x", ".", "root.a.b.c.d.e.f", new string('c', 100_000), "root.\u00e9\u4e2d"];

    private static readonly int?[] Priorities = [null, int.MinValue, int.MaxValue, 0, -1];

    private static readonly string[] LoadedStates = ["pending", "enqueued", "started", "failed"];

    [Fact]
    public async Task Hostile_rows_never_stop_a_database_and_each_is_counted_once()
    {
        var seed = Environment.GetEnvironmentVariable("QUEUE_EXPORTER_HOSTILE_SEED") is { } s ? int.Parse(s, System.Globalization.CultureInfo.InvariantCulture) : Random.Shared.Next();
        output.WriteLine($"seed {seed} (replay with QUEUE_EXPORTER_HOSTILE_SEED={seed})");
        var random = new Random(seed);
        await using var db = await CreateDatabaseAsync();
        var expected = new Dictionary<string, int>(StringComparer.Ordinal);
        await using (var connection = await db.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("ALTER TABLE queue_job ALTER COLUMN uuid DROP NOT NULL, ALTER COLUMN state DROP NOT NULL");

            // Phase 1, before the runner starts: read by the initial load. The trigger is off meanwhile because
            // pg_notify refuses payloads over 8000 bytes, and a huge uuid is still a row PostgreSQL can store.
            await connection.ExecuteAsync("ALTER TABLE queue_job DISABLE TRIGGER queue_job_notify");
            for (var i = 0; i < 80; i++)
            {
                // Uppercase and braced uuids are not canonical: the load carries them as text, not as a Guid.
                var uuid = Pick(random, [null, "", "x" + new string('u', 300), "a\nb", new string('u', 100_000), Guid.NewGuid().ToString(), Guid.NewGuid().ToString(),
                    Guid.NewGuid().ToString().ToUpperInvariant(), Guid.NewGuid().ToString("B")]);
                var state = Pick(random, ["pending", "enqueued", "started", "failed", "done", "wait_dependencies", "pending"]);
                var created = Pick(random, Timestamps);
                var eta = Pick(random, Timestamps);
                await InsertAsync(connection, uuid, state, Pick(random, Channels), Pick(random, Priorities), created, eta);
                if (Array.IndexOf(LoadedStates, state) >= 0 && ExpectedReason(uuid, created, eta) is { } reason)
                {
                    expected[reason] = expected.GetValueOrDefault(reason) + 1;
                }
            }

            await connection.ExecuteAsync("ALTER TABLE queue_job ENABLE TRIGGER queue_job_notify");
        }

        await using var worker = await FakeOdooWorker.StartAsync(_ => db.ConnectionString);
        await using var runner = RunnerUnderTest.Start(db, worker.Url, "root:1000");
        // Leading is not yet listening: a first job dispatched proves the load after LISTEN has happened.
        var ready = await EnqueueAsync(db, new NewJob { ModelName = "m", MethodName = "ready" });
        await Eventually.UntilAsync(() => worker.Calls.Any(c => c.Uuid == ready), Patience, $"the runner leads and dispatches (seed {seed})");

        // Phase 2, while it runs: rows reach it through notifications and the re-read by uuid.
        await using (var connection = await db.OpenConnectionAsync())
        {
            foreach (var state in (string?[])[null, "exploded", "", "PENDING"])
            {
                await InsertAsync(connection, Guid.NewGuid().ToString(), state, "root", 10, "2026-01-01 00:00:00", null);
                var reason = state is null ? SkipReasons.NullState : SkipReasons.UnknownState;
                expected[reason] = expected.GetValueOrDefault(reason) + 1;
            }
        }

        var normal = await EnqueueAsync(db, new NewJob { ModelName = "m", MethodName = "after_the_hostile_rows" });
        await Eventually.UntilAsync(() => worker.Calls.Any(c => c.Uuid == normal), Patience, "the normal job inserted after the hostile rows is dispatched");

        foreach (var (reason, count) in expected)
        {
            var sample = $"queue_runner_skipped_rows_total{{server=\"{db.ServerLabel}\",database=\"{db.Name}\",reason=\"{reason}\"}}";
            await Eventually.UntilAsync(async () => await runner.SampleAsync(sample) == count, Patience, $"{count} rows counted as {reason} (seed {seed}): {await runner.SampleAsync(sample)}");
        }

        var health = runner.Runner.DatabaseHealth[db.Name];
        Assert.True(health.Served, $"{health.Status}: {health.Reason} (seed {seed})");
        Assert.Null(await runner.SampleAsync($"queue_runner_database_restarts_total{{server=\"{db.ServerLabel}\",database=\"{db.Name}\"}}"));
        var total = (await runner.MetricsTextAsync()).Split('\n').Count(l => l.StartsWith("queue_runner_skipped_rows_total{", StringComparison.Ordinal));
        Assert.Equal(expected.Count, total);
    }

    private static string? ExpectedReason(string? uuid, string? created, string? eta)
    {
        if (string.IsNullOrEmpty(uuid))
        {
            return SkipReasons.NullUuid;
        }

        if (uuid.Length > JobRowDecoder.MaxUuidLength || uuid.Contains('\n', StringComparison.Ordinal))
        {
            return SkipReasons.BadUuid;
        }

        // Timestamps before year 1 or after 9999 do not fit .NET: the job is kept, its time clamped.
        static bool OutOfRange(string? t) => t is not null && (t.Contains("infinity", StringComparison.Ordinal) || t.EndsWith(" BC", StringComparison.Ordinal) || t.StartsWith("294276", StringComparison.Ordinal));
        return OutOfRange(created) || OutOfRange(eta) ? SkipReasons.ClampedTimestamp : null;
    }

    private static Task InsertAsync(Npgsql.NpgsqlConnection connection, string? uuid, string? state, string? channel, int? priority, string? created, string? eta) =>
        connection.ExecuteAsync(
            """
            INSERT INTO queue_job (uuid, state, channel, priority, date_created, eta, model_name, method_name, name)
            VALUES (@uuid, @state, @channel, @priority, @created::timestamp, @eta::timestamp, 'hostile.row', 'run', 'hostile')
            """,
            new { uuid, state, channel, priority, created, eta });

    private static T Pick<T>(Random random, IReadOnlyList<T> values) => values[random.Next(values.Count)];
}
