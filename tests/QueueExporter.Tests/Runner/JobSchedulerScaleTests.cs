using Microsoft.Extensions.Time.Testing;
using QueueExporter.Runner.Channels;
using Xunit;

namespace QueueExporter.Tests.Runner;

/// <summary>Correctness with a production-sized backlog (no timing assertions: those belong to benchmarks).</summary>
public class JobSchedulerScaleTests
{
    [Fact]
    public void A_million_pending_jobs_dispatch_in_order_within_capacity()
    {
        const int count = 1_000_000;
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var clock = new FakeTimeProvider(start);
        var scheduler = new JobScheduler(ChannelConfigurationParser.Parse("root:0,a:100,b:50"), clock);
        var random = new Random(7);
        var uuids = new string[count];
        var bytes = new byte[16];
        for (var i = 0; i < count; i++)
        {
            random.NextBytes(bytes);
            uuids[i] = new Guid(bytes).ToString();
            var channel = (i % 3) switch { 0 => "root.a", 1 => "root.b", _ => "root.c.free" };
            scheduler.Upsert(new JobFacts("db", uuids[i], "pending", channel, random.Next(10), start.AddSeconds(i / 10), i + 1, null));
        }

        Assert.Equal(count, scheduler.JobCount);
        var firstRound = scheduler.TakeRunnable(max: 10_000);

        Assert.Equal(10_000, firstRound.Count);
        Assert.Equal(100, firstRound.Count(j => j.Channel == "root.a"));
        Assert.Equal(50, firstRound.Count(j => j.Channel == "root.b"));
        var counts = scheduler.CountChannels().ToDictionary(c => c.Channel);
        Assert.Equal(10_000, counts["root"].Running);
        Assert.Equal(333_334 - 100, counts["root.a"].Queued);

        // Finishing every dispatched job and re-taking keeps the global order of the unlimited channel.
        foreach (var job in firstRound)
        {
            scheduler.Upsert(new JobFacts("db", job.Uuid, "done", job.Channel, 0, start, 0, null));
        }

        var secondRound = scheduler.TakeRunnable(max: 10_000);
        Assert.Equal(100, secondRound.Count(j => j.Channel == "root.a"));
        Assert.Equal(count - 10_000, scheduler.JobCount);
        var firstUuids = firstRound.Select(f => f.Uuid).ToHashSet();
        Assert.DoesNotContain(secondRound, j => firstUuids.Contains(j.Uuid));
    }
}
