using Microsoft.Extensions.Time.Testing;
using QueueExporter.Worker.Demo;
using QueueExporter.Worker.Handlers;

namespace QueueExporter.Tests.Worker;

public class DemoHandlersTests
{
    private static JobContext Job(string function, string args = "[]", int retry = 0) =>
        new("demo", "0b7c6a6e-0000-4000-8000-000000000001", function, "root", args, "{}", retry, 5);

    [Fact]
    public async Task The_slow_job_finishes_only_once_its_seconds_have_passed_on_the_clock()
    {
        var clock = new FakeTimeProvider();
        var registry = new JobHandlerRegistry().AddDemoHandlers(clock);

        var running = registry.Find(DemoHandlers.Slow)!.Handler(Job(DemoHandlers.Slow, "[2.5]"), CancellationToken.None);
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.False(running.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(0.5));

        Assert.Equal("slept 2.5 s", await running.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task The_slow_job_stops_when_cancelled()
    {
        var registry = new JobHandlerRegistry().AddDemoHandlers(new FakeTimeProvider());
        using var cancel = new CancellationTokenSource();

        var running = registry.Find(DemoHandlers.Slow)!.Handler(Job(DemoHandlers.Slow), cancel.Token);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(2, false)]
    [InlineData(3, true)]
    public async Task The_flaky_job_fails_retryably_until_its_retry_count_reaches_its_argument(int retry, bool succeeds)
    {
        var registry = new JobHandlerRegistry().AddDemoHandlers(TimeProvider.System);
        var flaky = registry.Find(DemoHandlers.Flaky)!;

        var run = flaky.Handler(Job(DemoHandlers.Flaky, "[3]", retry), CancellationToken.None);

        if (succeeds)
        {
            Assert.Equal("succeeded after 3 retries", await run);
        }
        else
        {
            await Assert.ThrowsAsync<RetryableJobException>(() => run);
        }

        Assert.Same(DemoHandlers.FlakyRetryPattern, flaky.RetryPattern);
    }

    [Fact]
    public async Task The_failing_job_throws_a_non_retryable_exception()
    {
        var registry = new JobHandlerRegistry().AddDemoHandlers(TimeProvider.System);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => registry.Find(DemoHandlers.Fail)!.Handler(Job(DemoHandlers.Fail), CancellationToken.None));

        Assert.StartsWith("demo failure", error.Message, StringComparison.Ordinal);
    }
}
