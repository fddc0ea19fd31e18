using System.Text;
using Prometheus;
using QueueExporter.Worker;
using QueueExporter.Worker.Handlers;

namespace QueueExporter.Tests.Worker;

public class WorkerMetricsTests
{
    [Fact]
    public async Task Unregistered_functions_share_one_label_and_channels_beyond_the_cap_become_other()
    {
        var registry = Metrics.NewCustomRegistry();
        var handlers = new JobHandlerRegistry().Register("res.partner.send", (_, _) => Task.FromResult<string?>(null));
        var metrics = new WorkerMetrics(registry, handlers);

        for (var i = 0; i < WorkerMetrics.MaxChannels + 5; i++)
        {
            metrics.JobFinished($"root.c{i}", "res.partner.send", "done", TimeSpan.FromSeconds(0.2));
        }

        metrics.JobFinished("root.c0", "res.partner.made_up_1", "unknown_function", null);
        metrics.JobFinished("root.c0", "res.partner.made_up_2", "unknown_function", null);
        var text = await ExportAsync(registry);

        Assert.Contains("queue_worker_jobs_total{channel=\"root.c0\",function=\"unregistered\",outcome=\"unknown_function\"} 2", text, StringComparison.Ordinal);
        Assert.Contains("queue_worker_jobs_total{channel=\"other\",function=\"res.partner.send\",outcome=\"done\"} 5", text, StringComparison.Ordinal);
        Assert.Contains($"queue_worker_jobs_total{{channel=\"root.c{WorkerMetrics.MaxChannels - 1}\",function=\"res.partner.send\",outcome=\"done\"}} 1", text, StringComparison.Ordinal);
        Assert.DoesNotContain("made_up", text, StringComparison.Ordinal);
        Assert.Contains("queue_worker_job_duration_seconds_bucket{channel=\"root.c0\",function=\"res.partner.send\",le=\"0.25\"} 1", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_running_gauge_counts_handlers_in_progress_once_each()
    {
        var registry = Metrics.NewCustomRegistry();
        var metrics = new WorkerMetrics(registry, new JobHandlerRegistry());

        var first = metrics.TrackRunning();
        using (metrics.TrackRunning())
        {
            Assert.Contains("queue_worker_jobs_running 2", await ExportAsync(registry), StringComparison.Ordinal);
        }

        first.Dispose();
        first.Dispose();

        Assert.Contains("queue_worker_jobs_running 0", await ExportAsync(registry), StringComparison.Ordinal);
    }

    private static async Task<string> ExportAsync(CollectorRegistry registry)
    {
        using var stream = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
