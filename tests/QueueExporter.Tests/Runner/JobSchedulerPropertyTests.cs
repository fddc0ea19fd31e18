using Microsoft.Extensions.Time.Testing;
using QueueExporter.Runner.Channels;
using Xunit;

namespace QueueExporter.Tests.Runner;

/// <summary>
/// Random job streams (seeded, so a failure replays) checked against invariants computed by an
/// independent model: capacity never exceeded at any level, no job dispatched twice, and within a
/// channel nothing runs while a better runnable job is left behind.
/// </summary>
public class JobSchedulerPropertyTests
{
    private const string Channels = "root:4,a:3,a.x:1,b:0,c:1:sequential,d:2:throttle=3,e.f:2";

    private static readonly string[] JobChannels =
        ["root", "root.a", "root.a.x", "root.a.x.deep", "root.b", "root.c", "root.d", "root.e", "root.e.f", "root.e.f.g", "root.zzz"];

    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static TheoryData<int> Seeds => [.. Enumerable.Range(1, 40)];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Random_streams_never_break_capacity_order_or_uniqueness(int seed)
    {
        var random = new Random(seed);
        var clock = new FakeTimeProvider(Start);
        var configuration = ChannelConfigurationParser.Parse(Channels);
        var scheduler = new JobScheduler(configuration, clock);
        var capacities = configuration.ToDictionary(c => c.Name, c => c.Capacity);
        capacities.TryAdd("root.e", 0);
        var jobs = new Dictionary<(string Db, string Uuid), ModelJob>();
        var nextId = 1;

        for (var step = 0; step < 400; step++)
        {
            switch (random.Next(10))
            {
                case < 4:
                    var job = new ModelJob(
                        random.Next(2) == 0 ? "db1" : "db2",
                        Guid.NewGuid().ToString(),
                        JobChannels[random.Next(JobChannels.Length)],
                        random.Next(3) * 5,
                        Start.AddSeconds(random.Next(20)),
                        nextId++,
                        random.Next(4) == 0 ? clock.GetUtcNow().AddSeconds(random.Next(1, 10)) : null);
                    jobs[(job.Db, job.Uuid)] = job;
                    if (nextId % 2 == 0)
                    {
                        // Half the new jobs arrive as a full load would bring them: both paths must hold them alike.
                        scheduler.Load(job.Db, [LoadedJobs.Of(job.Facts("pending"))]);
                    }
                    else
                    {
                        scheduler.Upsert(job.Facts("pending"));
                    }

                    break;
                case < 7:
                    var running = jobs.Values.Where(j => j.State == "enqueued").ToList();
                    if (running.Count > 0)
                    {
                        var finished = running[random.Next(running.Count)];
                        finished.State = random.Next(6) switch { 0 => "failed", 1 => "pending", _ => "done" };
                        if (finished.State == "done")
                        {
                            jobs.Remove((finished.Db, finished.Uuid));
                        }

                        scheduler.Upsert(finished.Facts(finished.State));
                    }

                    break;
                case 7:
                    var failed = jobs.Values.Where(j => j.State == "failed").ToList();
                    if (failed.Count > 0)
                    {
                        var requeued = failed[random.Next(failed.Count)];
                        requeued.State = "pending";
                        scheduler.Upsert(requeued.Facts("pending"));
                    }

                    break;
                case 8:
                    clock.Advance(TimeSpan.FromSeconds(random.Next(1, 4)));
                    break;
                default:
                    TakeAndCheck(scheduler, jobs, capacities, clock.GetUtcNow(), seed, step);
                    break;
            }
        }

        TakeAndCheck(scheduler, jobs, capacities, clock.GetUtcNow(), seed, -1);
        Assert.Equal(jobs.Count, scheduler.JobCount);
    }

    private static void TakeAndCheck(
        JobScheduler scheduler, Dictionary<(string Db, string Uuid), ModelJob> jobs, Dictionary<string, int> capacities, DateTimeOffset now, int seed, int step)
    {
        var taken = scheduler.TakeRunnable();
        var where = $"seed {seed} step {step}";
        foreach (var runnable in taken)
        {
            var job = jobs[(runnable.Database, runnable.Uuid)];
            Assert.True(job.State == "pending", $"{where}: {runnable.Uuid} dispatched while {job.State}");
            Assert.True(job.Eta is null || job.Eta <= now, $"{where}: {runnable.Uuid} dispatched before its eta");
            Assert.Equal(Effective(job.Channel, capacities), runnable.Channel);
            job.State = "enqueued";
        }

        foreach (var (channel, capacity) in capacities.Where(c => c.Value > 0))
        {
            var runningBelow = jobs.Values.Count(j => j.State == "enqueued" && IsAtOrBelow(Effective(j.Channel, capacities), channel));
            Assert.True(runningBelow <= capacity, $"{where}: {channel} runs {runningBelow} > {capacity}");
        }

        foreach (var group in taken.GroupBy(t => t.Channel))
        {
            var dispatched = group.Select(t => jobs[(t.Database, t.Uuid)]).ToList();
            Assert.Equal(dispatched.OrderBy(j => j.Key).Select(j => j.Uuid), dispatched.Select(j => j.Uuid));
            var leftBehind = jobs.Values.Where(j => j.State == "pending" && (j.Eta is null || j.Eta <= now) && Effective(j.Channel, capacities) == group.Key);
            var worstDispatched = dispatched.Max(j => j.Key);
            Assert.All(leftBehind, j => Assert.True(j.Key.CompareTo(worstDispatched) > 0, $"{where}: {j.Uuid} left behind a worse job in {group.Key}"));
        }

        var counts = scheduler.CountChannels().ToDictionary(c => c.Channel);
        foreach (var channel in capacities.Keys)
        {
            var expected = jobs.Values.Count(j => j.State == "enqueued" && IsAtOrBelow(Effective(j.Channel, capacities), channel));
            Assert.Equal(expected, counts[channel].Running);
        }
    }

    private static string Effective(string channel, Dictionary<string, int> capacities)
    {
        while (!capacities.ContainsKey(channel))
        {
            channel = channel[..channel.LastIndexOf('.')];
        }

        return channel;
    }

    private static bool IsAtOrBelow(string channel, string ancestor) =>
        channel == ancestor || channel.StartsWith(ancestor + ".", StringComparison.Ordinal);

    private sealed class ModelJob(string db, string uuid, string channel, int priority, DateTimeOffset created, int id, DateTimeOffset? eta)
    {
        public string Db { get; } = db;

        public string Uuid { get; } = uuid;

        public string Channel { get; } = channel;

        public DateTimeOffset? Eta { get; } = eta;

        public string State { get; set; } = "pending";

        public (int, DateTimeOffset, int, string, string) Key { get; } = (priority, created, id, db, uuid);

        public JobFacts Facts(string state) => new(Db, Uuid, state, Channel, priority, created, id, Eta);
    }
}
