using System.Text;
using System.Text.RegularExpressions;
using Prometheus;
using QueueExporter.QueueJob.Schema;
using QueueExporter.Scraper;
using QueueExporter.Scraper.Database;
using QueueExporter.Scraper.Labels;
using Xunit;
using Xunit.Abstractions;

namespace QueueExporter.Tests.Scraper;

/// <summary>Issue 12: 100,000 distinct channels once made a 101 MB /metrics.</summary>
public sealed partial class ScraperMetricsBoundsTests(ITestOutputHelper output)
{
    private static readonly DateTimeOffset Now = new(2026, 1, 5, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_hundred_thousand_distinct_channels_exception_names_and_functions_keep_metrics_under_one_megabyte()
    {
        var registry = Metrics.NewCustomRegistry();
        var metrics = new ScraperMetrics(registry);
        var exceptions = new FirstSeenLabels(ScraperOptions.DefaultMaxExceptionLabels);
        var functions = new FirstSeenLabels(ScraperOptions.DefaultMaxFunctions);
        // Every thousandth name is pathological: far longer than any label value should be.
        var channels = Enumerable.Range(0, 100_000)
            .Select(i => $"root.tenant_{i:D6}" + (i % 1000 == 0 ? "." + new string('x', 10_000) : ".mail"))
            .ToList();

        // Every channel in every state, from every source: the refresh, the terminal counts and the follower.
        metrics.PublishActive(
            "production",
            [JobStates.WaitDependencies, JobStates.Pending, JobStates.Enqueued, JobStates.Started],
            [.. channels.SelectMany(channel => new[]
            {
                new JobStateCount(channel, JobStates.Pending, 3, Now.AddMinutes(-5)),
                new JobStateCount(channel, JobStates.Started, 1, Now.AddMinutes(-1)),
            })],
            Now);
        foreach (var state in new[] { JobStates.Done, JobStates.Cancelled, JobStates.Failed })
        {
            var baseline = metrics.BeginTerminalCount("production", state);
            metrics.PublishTerminal("production", baseline, [.. channels.Select(channel => new JobStateCount(channel, state, 10, null))], Now);
        }

        metrics.RecordCompletions(
            "production",
            channels.SelectMany((channel, i) => new[]
            {
                new JobCompletion(channel, JobStates.Done, 1.5, 2.5, null, functions.LabelFor($"tenant_{i:D6}.sale.order.action_confirm")),
                new JobCompletion(
                    channel,
                    JobStates.Failed,
                    null,
                    0.5,
                    exceptions.LabelFor($"odoo.addons.tenant_{i:D6}.models.RemoteError" + new string('!', i % 7 * 100)),
                    functions.LabelFor($"tenant_{i:D6}.res.partner." + new string('w', i % 5 * 100))),
            }),
            Now);

        var text = await ExportAsync(registry);
        var bytes = Encoding.UTF8.GetByteCount(text);
        output.WriteLine($"/metrics: {bytes} bytes");
        Assert.True(bytes < 1_000_000, $"/metrics is {bytes} bytes");
        var channelLabels = ChannelLabel().Matches(text).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        // root, the first channels up to 200 or 4,000 characters of names, and other.
        var named = channelLabels.Where(label => label is not ("root" or "other")).ToList();
        Assert.InRange(named.Count, 150, ScraperOptions.DefaultMaxChannels);
        Assert.True(named.Sum(label => label.Length) <= ChannelLabels.MaxNamedCharacters);
        Assert.Contains("other", channelLabels);
        Assert.All(channelLabels, label => Assert.True(label.Length <= 100, label));
        Assert.Contains($"queue_job_jobs{{database=\"production\",channel=\"other\",state=\"pending\"}} {3 * (100_000 - named.Count)}", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Names_all_at_the_length_limit_still_keep_metrics_under_one_megabyte()
    {
        var registry = Metrics.NewCustomRegistry();
        var metrics = new ScraperMetrics(registry);
        var exceptions = new FirstSeenLabels(ScraperOptions.DefaultMaxExceptionLabels);
        var functions = new FirstSeenLabels(ScraperOptions.DefaultMaxFunctions);
        // Every name far beyond the 100-character cut, so every label value exported is as long as allowed.
        var channels = Enumerable.Range(0, 100_000).Select(i => $"root.tenant_{i:D6}." + new string('c', 200)).ToList();
        string Exception(int i) => $"odoo.addons.tenant_{i:D6}.models.RemoteError" + new string('e', 200);
        string Function(int i) => $"tenant_{i:D6}.sale.order." + new string('f', 200);

        metrics.PublishActive(
            "production",
            [JobStates.WaitDependencies, JobStates.Pending, JobStates.Enqueued, JobStates.Started],
            [.. channels.Select(channel => new JobStateCount(channel, JobStates.Pending, 3, Now.AddMinutes(-5)))],
            Now);
        foreach (var state in new[] { JobStates.Done, JobStates.Cancelled, JobStates.Failed })
        {
            var baseline = metrics.BeginTerminalCount("production", state);
            metrics.PublishTerminal("production", baseline, [.. channels.Select(channel => new JobStateCount(channel, state, 10, null))], Now);
        }

        // Each channel fails with three different exceptions, so channel and exception labels combine.
        metrics.RecordCompletions(
            "production",
            channels.SelectMany((channel, i) => new[]
            {
                new JobCompletion(channel, JobStates.Done, 1.5, 2.5, null, functions.LabelFor(Function(i))),
                new JobCompletion(channel, JobStates.Failed, null, 0.5, exceptions.LabelFor(Exception(i)), functions.LabelFor(Function(i + 1))),
                new JobCompletion(channel, JobStates.Failed, null, 0.5, exceptions.LabelFor(Exception(i + 1)), functions.LabelFor(Function(i + 2))),
                new JobCompletion(channel, JobStates.Failed, null, 0.5, exceptions.LabelFor(Exception(i + 2)), functions.LabelFor(Function(i + 3))),
            }),
            Now);

        var text = await ExportAsync(registry);
        var bytes = Encoding.UTF8.GetByteCount(text);
        output.WriteLine($"/metrics: {bytes} bytes");
        Assert.True(bytes < 1_000_000, $"/metrics is {bytes} bytes");
        Assert.Contains(LabelValues.TruncationMarker, text, StringComparison.Ordinal);
    }

    private static async Task<string> ExportAsync(CollectorRegistry registry)
    {
        using var stream = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    [GeneratedRegex("channel=\"([^\"]*)\"")]
    private static partial Regex ChannelLabel();
}
