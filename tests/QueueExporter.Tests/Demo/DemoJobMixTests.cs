using QueueExporter.Demo;

namespace QueueExporter.Tests.Demo;

public class DemoJobMixTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void The_stream_mixes_every_demo_function_channel_and_some_etas_and_bursts()
    {
        var mix = new DemoJobMix(new Random(7));

        var ticks = Enumerable.Range(0, 400).Select(_ => mix.NextTick(Now)).ToList();
        var jobs = ticks.SelectMany(t => t).ToList();

        Assert.Equal(["fail", "flaky", "quick", "slow"], jobs.Select(j => j.MethodName).Distinct().Order());
        Assert.All(jobs, j => Assert.Equal("queue.demo", j.ModelName));
        Assert.All(jobs, j => Assert.Contains(j.FullChannel, DemoJobMix.Channels));
        Assert.Contains(jobs, j => j.Eta > Now);
        Assert.Contains(ticks, t => t.Count == 150);
        Assert.True(ticks.Count(t => t.Count == 150) < 40, "bursts are occasional");
    }

    [Fact]
    public void The_same_seed_gives_the_same_stream()
    {
        var a = new DemoJobMix(new Random(3)).NextTick(Now);
        var b = new DemoJobMix(new Random(3)).NextTick(Now);

        Assert.Equal(a, b);
    }
}
