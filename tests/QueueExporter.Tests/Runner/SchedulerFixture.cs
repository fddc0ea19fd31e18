using Microsoft.Extensions.Time.Testing;
using QueueExporter.Runner.Channels;

namespace QueueExporter.Tests.Runner;

/// <summary>A scheduler on a fake clock, with short helpers in OCA's doctest vocabulary.</summary>
internal sealed class SchedulerFixture
{
    public const string Db = "db";

    public static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public SchedulerFixture(string channels)
    {
        Scheduler = new JobScheduler(ChannelConfigurationParser.Parse(channels), Clock);
    }

    public FakeTimeProvider Clock { get; } = new(Epoch);

    public JobScheduler Scheduler { get; }

    /// <summary>Seconds since <see cref="Epoch"/>, as OCA's doctests count time.</summary>
    public static DateTimeOffset At(int seconds) => Epoch.AddSeconds(seconds);

    public void Notify(string channel, string uuid, int id, int priority, string state, int? etaSeconds = null, int createdSeconds = 0, string database = Db) =>
        Scheduler.Upsert(new JobFacts(database, uuid, state, channel, priority, At(createdSeconds), id, etaSeconds is { } eta ? At(eta) : null));

    public void Pending(string channel, string uuid, int id, int priority = 10, int? etaSeconds = null) =>
        Notify(channel, uuid, id, priority, "pending", etaSeconds);

    /// <summary>Moves the clock to <paramref name="seconds"/> and takes every runnable job's uuid.</summary>
    public List<string> RunAt(int seconds)
    {
        var target = At(seconds);
        if (target > Clock.GetUtcNow())
        {
            Clock.SetUtcNow(target);
        }

        return [.. Scheduler.TakeRunnable().Select(j => j.Uuid)];
    }

    /// <summary>Next wake-up as seconds since <see cref="Epoch"/>; 0 when none (OCA's convention).</summary>
    public int WakeUp() => Scheduler.NextWakeUp() is { } at ? (int)(at - Epoch).TotalSeconds : 0;
}
