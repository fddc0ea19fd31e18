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
    public static readonly string[] Channels = ["root", "root.mail", "root.edi", "root.reports"];

    /// <summary>The runner channel configuration that goes with <see cref="Channels"/>.</summary>
    public const string ChannelConfiguration = "root:4,root.mail:2,root.edi:1:sequential,root.reports:1:throttle=1";

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
        var channel = Channels[_random.Next(Channels.Length)];
        return roll switch
        {
            < 65 => Quick(channel, now),
            < 80 => new NewJob { ModelName = "queue.demo", MethodName = "slow", Channel = "root.reports", ArgsJson = $"[{(0.2 + _random.NextDouble()).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)}]", Priority = 20 },
            < 87 => new NewJob { ModelName = "queue.demo", MethodName = "flaky", Channel = "root.edi", ArgsJson = "[2]", MaxRetries = 5 },
            < 92 => new NewJob { ModelName = "queue.demo", MethodName = "fail", Channel = channel, MaxRetries = 1 },
            _ => Quick(channel, now) with { Eta = now.AddSeconds(_random.Next(5, 30)) },
        };
    }

    private NewJob Quick(string channel, DateTimeOffset now) =>
        new() { ModelName = "queue.demo", MethodName = "quick", Channel = channel, Priority = _random.Next(3) == 0 ? 5 : 10, ArgsJson = $"[{now.ToUnixTimeMilliseconds() % 1000}]" };
}
