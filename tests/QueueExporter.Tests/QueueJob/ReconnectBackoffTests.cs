using QueueExporter.QueueJob.Notifications;

namespace QueueExporter.Tests.QueueJob;

public class ReconnectBackoffTests
{
    [Fact]
    public void Delays_grow_exponentially_with_jitter_and_stay_under_the_cap()
    {
        var backoff = new ReconnectBackoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(2), new Random(42));

        var delays = Enumerable.Range(0, 12).Select(_ => backoff.NextDelay().TotalMilliseconds).ToList();

        for (var i = 0; i < delays.Count; i++)
        {
            var ceiling = Math.Min(100 * Math.Pow(2, i), 2000);
            Assert.InRange(delays[i], ceiling * 0.5, ceiling);
        }
    }

    [Fact]
    public void Reset_starts_again_from_the_initial_delay()
    {
        var backoff = new ReconnectBackoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(30), new Random(1));
        for (var i = 0; i < 8; i++)
        {
            backoff.NextDelay();
        }

        backoff.Reset();

        Assert.Equal(0, backoff.Failures);
        Assert.InRange(backoff.NextDelay().TotalMilliseconds, 50, 100);
    }
}
