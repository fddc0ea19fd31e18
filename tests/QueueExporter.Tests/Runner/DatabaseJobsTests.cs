using QueueExporter.Runner.Channels;
using Xunit;

namespace QueueExporter.Tests.Runner;

/// <summary>
/// The uuid map is an open-addressing table with backward-shift deletion: a wrong shift loses a job only
/// after a particular sequence of removals, so it is checked against a plain dictionary over long seeded
/// random sequences that grow, churn and drain the table (and so resize it both ways).
/// </summary>
public class DatabaseJobsTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Adds_and_removes_in_any_order_agree_with_a_dictionary(int seed)
    {
        var random = new Random(seed);
        var jobs = new DatabaseJobs(0);
        var model = new Dictionary<string, ScheduledJob>(StringComparer.Ordinal);
        // Few distinct uuids so that adds hit existing jobs and removes hit live ones; some non-canonical.
        var pool = Enumerable.Range(0, 3_000).Select(i => Uuid(random, canonical: i % 50 != 0)).ToArray();
        for (var step = 0; step < 200_000; step++)
        {
            // Grow for the first third, churn, then drain: every resize is crossed both ways.
            var phase = step * 3 / 200_000;
            var addChance = phase switch { 0 => 0.8, 1 => 0.5, _ => 0.15 };
            var uuid = pool[random.Next(pool.Length)];
            if (random.NextDouble() < addChance)
            {
                var job = jobs.GetOrAdd(uuid, out var added);
                Assert.Equal(!model.ContainsKey(uuid), added);
                if (added)
                {
                    model[uuid] = job;
                }
                else
                {
                    Assert.Same(model[uuid], job);
                }
            }
            else if (model.Remove(uuid, out var job))
            {
                jobs.Delete(job);
            }

            if (step % 5_000 == 0)
            {
                AssertSame(model, jobs, pool);
            }
        }

        AssertSame(model, jobs, pool);
    }

    [Fact]
    public void A_drained_table_finds_nothing_and_fills_again()
    {
        var random = new Random(9);
        var jobs = new DatabaseJobs(0);
        var uuids = Enumerable.Range(0, 10_000).Select(_ => Uuid(random, canonical: true)).ToArray();
        var held = uuids.Select(u => jobs.GetOrAdd(u, out _)).ToArray();

        foreach (var job in held)
        {
            jobs.Delete(job);
        }

        Assert.Empty(jobs.All());
        Assert.All(uuids, u => Assert.Null(jobs.Find(u)));
        Assert.True(jobs.GetOrAdd(uuids[0], out var added) is { } again && added && again.UuidString == uuids[0]);
    }

    [Fact]
    public void Canonical_and_non_canonical_spellings_of_one_uuid_are_different_jobs()
    {
        var jobs = new DatabaseJobs(0);
        var lower = jobs.GetOrAdd("0b6f2c9e-5d8a-4d0e-9a53-3c7f0d3e1a11", out _);
        var upper = jobs.GetOrAdd("0B6F2C9E-5D8A-4D0E-9A53-3C7F0D3E1A11", out var added);

        Assert.True(added);
        Assert.NotSame(lower, upper);
        Assert.Null(lower.UuidText);
        Assert.Equal("0B6F2C9E-5D8A-4D0E-9A53-3C7F0D3E1A11", upper.UuidString);
        jobs.Delete(lower);
        Assert.Same(upper, jobs.Find("0B6F2C9E-5D8A-4D0E-9A53-3C7F0D3E1A11"));
        Assert.Null(jobs.Find("0b6f2c9e-5d8a-4d0e-9a53-3c7f0d3e1a11"));
    }

    private static void AssertSame(Dictionary<string, ScheduledJob> model, DatabaseJobs jobs, string[] pool)
    {
        foreach (var uuid in pool)
        {
            Assert.Same(model.GetValueOrDefault(uuid), jobs.Find(uuid));
        }

        Assert.Equal(model.Count, jobs.All().Count());
    }

    private static string Uuid(Random random, bool canonical)
    {
        var bytes = new byte[16];
        random.NextBytes(bytes);
        var text = new Guid(bytes).ToString("D");
        return canonical ? text : "{" + text + "}";
    }
}
