using Prometheus;
using QueueExporter.Commands;
using QueueExporter.IntegrationTests.Runner;
using QueueExporter.QueueJob.Enqueue;
using QueueExporter.Runner;
using QueueExporter.TestSupport;
using Xunit.Abstractions;
using static QueueExporter.IntegrationTests.Runner.RunnerDispatchTests;

namespace QueueExporter.IntegrationTests.Web;

/// <summary>The runner's status page at /, loaded in real headless Chromium against a running runner.</summary>
public class RunnerStatusPageBrowserTests(ITestOutputHelper output)
{
    // A channel name is data: the page must show it as text, never run it.
    private const string HostileChannel = "root.<img src=x onerror=document.title='pwned'>";

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_person_sees_capacity_running_leadership_and_failures_update_without_reloading()
    {
        await using var db = await CreateDatabaseAsync();
        await using var worker = await FakeOdooWorker.StartAsync(_ => db.ConnectionString);
        worker.Behaviour = WorkerBehaviour.KeepRunning;
        await using var runner = RunnerCommand.BuildHost(
            new RunnerOptions { Endpoint = db.Endpoint, Databases = [db.Name], Channels = $"root:4,root.mail:1,{HostileChannel}:2", WorkerUrl = worker.Url },
            "127.0.0.1:0",
            Metrics.NewCustomRegistry());
        await runner.StartAsync();
        var running = await EnqueueAsync(db, new NewJob { ModelName = "res.partner", MethodName = "send_mail", Channel = "root.mail" });
        Assert.Equal(running, (await worker.NextCallAsync(Patience)).Uuid);

        await using var browser = await HeadlessChromium.StartAsync();
        await browser.NavigateAsync(new Uri(runner.Urls.First()));
        await browser.WaitUntilAsync(
            $"(document.querySelector('#dispatches tbody')?.innerText ?? '').includes('{running}')",
            "the page shows the dispatch of the running job");
        await browser.WaitUntilAsync("document.querySelector('#summary').innerText.startsWith('Healthy')", "the summary says healthy");
        await browser.EvaluateAsync("window.notReloaded = true");

        Assert.Equal("Healthy: 1 of 1 databases led here, version " + QueueExporter.QueueJob.Web.LandingPage.Version, await browser.TextAsync("document.querySelector('#summary').innerText"));
        Assert.Equal($"{db.Name}\tleading\tyes\t", await browser.TextAsync("document.querySelector('#databases tbody tr').innerText"));
        Assert.Equal("root.mail\t1\t1\t0\t0\t0\t", await RowAsync(browser, "channels", "root.mail"));

        // A job that fails in the worker: the page, not reloaded, lists it among the failures.
        worker.Behaviour = WorkerBehaviour.FailJob;
        var failing = await EnqueueAsync(db, new NewJob { ModelName = "res.partner", MethodName = "boom", Channel = HostileChannel });
        await browser.WaitUntilAsync(
            $"(document.querySelector('#failures tbody')?.innerText ?? '').includes('{failing}')",
            "the failed dispatch appears without a reload");

        Assert.Equal(true, (await browser.EvaluateAsync("window.notReloaded === true"))?.GetValue<bool>());
        Assert.EndsWith($"{db.Name}\t{HostileChannel}\t{failing}\thttp_error", await RowAsync(browser, "failures", failing));
        Assert.StartsWith($"{HostileChannel}\t2\t", await RowAsync(browser, "channels", HostileChannel));
        Assert.Equal("queue-exporter runner", await browser.TextAsync("document.title"));
        Assert.Equal(0, (await browser.EvaluateAsync("document.querySelectorAll('img').length"))?.GetValue<int>());

        var screenshot = await browser.ScreenshotAsync();
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], screenshot[..4]);
        var path = Path.Combine(AppContext.BaseDirectory, "screenshots", "runner-status.png");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllBytesAsync(path, screenshot);
        output.WriteLine($"screenshot: {path}");
    }

    // The text of the row of table <id> that contains <text> (cells separated by tabs, as innerText gives them).
    private static Task<string> RowAsync(HeadlessChromium browser, string id, string text) =>
        browser.TextAsync(
            $"[...document.querySelectorAll('#{id} tbody tr')].map(r => r.innerText).find(t => t.includes({System.Text.Json.JsonSerializer.Serialize(text)})) ?? ''");
}
