using System.Globalization;
using System.Text.Json;
using QueueExporter.Worker.Handlers;

namespace QueueExporter.Worker.Demo;

/// <summary>
/// Handlers for demonstrations and tests, one per outcome a real queue shows (model <c>queue.demo</c>):
/// <list type="bullet">
/// <item><c>queue.demo.quick</c>: returns at once.</item>
/// <item><c>queue.demo.slow</c>: waits <c>args[0]</c> seconds (default 1), then returns.</item>
/// <item><c>queue.demo.fail</c>: fails with a non-retryable <see cref="InvalidOperationException"/>.</item>
/// <item><c>queue.demo.flaky</c>: raises a retryable error while the job's retry count is below
/// <c>args[0]</c> (default 2), then succeeds; retries wait 1 s, then 5 s from the 3rd attempt on.</item>
/// </list>
/// </summary>
public static class DemoHandlers
{
    /// <summary>The model name the demo functions live under.</summary>
    public const string Model = "queue.demo";

    /// <summary>Returns at once.</summary>
    public const string Quick = Model + ".quick";

    /// <summary>Waits args[0] seconds.</summary>
    public const string Slow = Model + ".slow";

    /// <summary>Fails for good.</summary>
    public const string Fail = Model + ".fail";

    /// <summary>Fails retryably args[0] times, then succeeds.</summary>
    public const string Flaky = Model + ".flaky";

    /// <summary>The retry pattern of <see cref="Flaky"/>: short, so that a demo shows retries finishing.</summary>
    public static readonly RetryPattern FlakyRetryPattern = RetryPattern.Parse("1: 1, 3: 5");

    /// <summary>Registers the four demo functions; <paramref name="clock"/> times the slow one.</summary>
    public static JobHandlerRegistry AddDemoHandlers(this JobHandlerRegistry registry, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(clock);
        registry.Register(Quick, (job, _) => Task.FromResult<string?>("quick job done"));
        registry.Register(Slow, async (job, ct) =>
        {
            var seconds = NumberArgument(job, fallback: 1);
            await Task.Delay(TimeSpan.FromSeconds(seconds), clock, ct);
            return string.Create(CultureInfo.InvariantCulture, $"slept {seconds:0.###} s");
        });
        registry.Register(Fail, SendInvoiceAsync);
        registry.Register(
            Flaky,
            (job, _) =>
            {
                var failures = (int)NumberArgument(job, fallback: 2);
                return job.Retry < failures
                    ? Task.FromException<string?>(new RetryableJobException($"demo: remote service busy (attempt {job.Retry + 1} of {failures + 1})"))
                    : Task.FromResult<string?>($"succeeded after {job.Retry} retries");
            },
            FlakyRetryPattern);
        return registry;
    }

    // A named async method, so that the failure carries a stack trace as a real one would.
    private static async Task<string?> SendInvoiceAsync(JobContext job, CancellationToken cancellationToken)
    {
        await Task.Yield();
        throw new InvalidOperationException($"demo failure: partner {job.Uuid[..Math.Min(8, job.Uuid.Length)]} has no email address, cannot send the invoice");
    }

    private static double NumberArgument(JobContext job, double fallback) =>
        job.Args is { ValueKind: JsonValueKind.Array } args && args.GetArrayLength() > 0 && args[0].ValueKind == JsonValueKind.Number
            ? Math.Max(0, args[0].GetDouble())
            : fallback;
}
