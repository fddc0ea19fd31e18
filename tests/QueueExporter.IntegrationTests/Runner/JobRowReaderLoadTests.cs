using Dapper;
using QueueExporter.Runner.Channels;
using QueueExporter.Runner.Database;
using static QueueExporter.IntegrationTests.Runner.RunnerDispatchTests;

namespace QueueExporter.IntegrationTests.Runner;

/// <summary>
/// The full load's read shape against real PostgreSQL: a canonical lowercase uuid arrives as a Guid (parsed from
/// its bytes, no string), every other text arrives as itself, also when longer than the reader's buffer.
/// </summary>
public class JobRowReaderLoadTests
{
    [Fact]
    public async Task Only_a_canonical_lowercase_uuid_arrives_as_a_guid_and_every_other_text_as_itself()
    {
        var canonical = Guid.NewGuid();
        var other = Guid.NewGuid();
        string[] texts =
        [
            other.ToString("D").ToUpperInvariant(),
            other.ToString("B"),
            other.ToString("N"),
            " " + other.ToString("D"),
            other.ToString("D") + "\u00e9",
            other.ToString("D")[..35] + "g",
            "not a uuid",
            other.ToString("D") + new string('x', 200), // longer than the reader's buffer, within MaxUuidLength
        ];
        await using var db = await CreateDatabaseAsync();
        await using (var connection = await db.OpenConnectionAsync())
        {
            foreach (var (uuid, state) in texts.Select(t => (t, "pending")).Append((canonical.ToString("D"), "started")))
            {
                await connection.ExecuteAsync(
                    "INSERT INTO queue_job (uuid, state, channel, model_name, method_name, name, date_created) VALUES (@uuid, @state, 'root', 'm', 'run', 'n', now())",
                    new { uuid, state });
            }
        }

        var sink = new CollectingSink();
        await using (var connection = await db.OpenConnectionAsync())
        {
            await JobRowReader.LoadActiveAsync(connection, db.Name, sink, CancellationToken.None);
        }

        var jobs = sink.Slices.SelectMany(s => s.Jobs).ToList();
        Assert.Empty(sink.Slices.SelectMany(s => s.Skipped));
        var started = Assert.Single(jobs, j => j.State == "started");
        Assert.Equal((canonical, null), (started.Uuid, started.UuidText));
        Assert.Equal(texts.Order(StringComparer.Ordinal), jobs.Where(j => j.State == "pending").Select(j => j.UuidText!).Order(StringComparer.Ordinal));
        Assert.All(jobs.Where(j => j.State == "pending"), j => Assert.Equal(Guid.Empty, j.Uuid));
    }

    private sealed class CollectingSink : IJobLoadSink
    {
        public List<LoadSlice> Slices { get; } = [];

        public ValueTask StartAsync(CancellationToken cancellationToken)
        {
            Slices.Clear();
            return ValueTask.CompletedTask;
        }

        public ValueTask AddAsync(LoadSlice slice, CancellationToken cancellationToken)
        {
            Slices.Add(slice);
            return ValueTask.CompletedTask;
        }
    }
}
