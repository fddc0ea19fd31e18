using QueueExporter.QueueJob.Enqueue;

namespace QueueExporter.Demo;

/// <summary>
/// A realistic stream of jobs for the demo (pure: the random source is injected): mostly quick jobs,
/// some slow ones, a few that fail or succeed only after retries, spread over channels and priorities,
/// some delayed by an eta, and now and then a burst such as a mass mailing produces.
/// </summary>
internal sealed class DemoJobMix
{
    /// <summary>Channels the demo feeds; the demo's runner configuration gives each its capacity.</summary>
    public static readonly string[] Channels = ["root", "root.mail", "root.edi", "root.reports", "root.sync"];

    /// <summary>The runner channel configuration that goes with <see cref="Channels"/>.</summary>
    public const string ChannelConfiguration = "root:6,root.mail:2,root.edi:1:sequential,root.reports:2,root.sync:1:throttle=1";

    private readonly Random _random;

    public DemoJobMix(Random random) => _random = random;

    /// <summary>The jobs to add in one tick: usually a handful, one tick in <paramref name="burstEvery"/> a burst.</summary>
    public IReadOnlyList<NewJob> NextTick(DateTimeOffset now, int burstEvery = 40)
    {
        if (_random.Next(burstEvery) == 0)
        {
            return [.. Enumerable.Range(0, 150).Select(_ => Quick("root.mail", now))];
        }

        return [.. Enumerable.Range(0, _random.Next(1, 6)).Select(_ => Next(now))];
    }

    private NewJob Next(DateTimeOffset now)
    {
        var roll = _random.Next(100);
        // A failed job blocks a sequential channel until someone requeues it (OCA's rule), so the failing
        // jobs stay out of root.edi; the throttled root.sync gets less than one job a second.
        var channel = Channels[_random.Next(3)];
        return roll switch
        {
            < 70 => Quick(channel, now),
            < 80 => new NewJob { ModelName = "queue.demo", MethodName = "slow", Channel = "root.reports", ArgsJson = $"[{(0.1 + (_random.NextDouble() * 0.6)).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)}]", Priority = 20 },
            < 86 => new NewJob { ModelName = "queue.demo", MethodName = "flaky", Channel = "root.edi", ArgsJson = "[2]", MaxRetries = 5 },
            < 90 => new NewJob { ModelName = "queue.demo", MethodName = "fail", Channel = _random.Next(2) == 0 ? "root" : "root.mail", MaxRetries = 1 },
            < 92 => Quick("root.sync", now),
            _ => Quick(channel, now) with { Eta = now.AddSeconds(_random.Next(5, 30)) },
        };
    }

    private NewJob Quick(string channel, DateTimeOffset now) =>
        new() { ModelName = "queue.demo", MethodName = "quick", Channel = channel, Priority = _random.Next(3) == 0 ? 5 : 10, ArgsJson = $"[{now.ToUnixTimeMilliseconds() % 1000}]" };
}
