using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using QueueExporter.IntegrationTests.Cli;
using QueueExporter.QueueJob.Enqueue;
using QueueExporter.QueueJob.Schema;
using QueueExporter.QueueJob.Web;
using QueueExporter.TestSupport;

namespace QueueExporter.IntegrationTests.Runner;

/// <summary>A worker's 503 is back-pressure working as designed: the real runner logs it as one line, never a stack trace.</summary>
public sealed partial class RefusedDispatchLogTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_refused_runjob_is_one_log_line_without_an_exception()
    {
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateDatabaseAsync();
        string uuid;
        await using (var connection = await database.OpenConnectionAsync())
        {
            var enqueuer = new JobEnqueuer(await SchemaDetector.DetectAsync(connection, CancellationToken.None));
            uuid = await enqueuer.EnqueueAsync(connection, new NewJob { ModelName = "test.refused", MethodName = "run" }, null, CancellationToken.None);
        }

        await using var fullWorker = await StartFullWorkerAsync();
        await using var runner = RunningCommand.Start(
            ["runner", "--database-url", database.Url, "--listen", "127.0.0.1:0", "--worker-url", fullWorker.Urls.First(), "--channels", "root:1"]);
        await runner.WaitForLineAsync(new Regex($"worker refused job {uuid} on db {database.Name}"), Patience, "the refusal is logged");
        Assert.Equal(0, await runner.StopAsync());

        var refusalLines = runner.Lines.Where(l => l.Contains($"worker refused job {uuid}", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(refusalLines);
        Assert.All(refusalLines, l => Assert.EndsWith("(503: full or stopping); it goes back to pending", l, StringComparison.Ordinal));
        Assert.DoesNotContain(runner.Lines, l => l.Contains("exception in GET", StringComparison.Ordinal) || l.Contains("HttpRequestException", StringComparison.Ordinal));
        Assert.DoesNotContain(runner.Lines, l => StackFrame().IsMatch(l));
    }

    /// <summary>A worker that is always full: every request answered 503 at once.</summary>
    private static async Task<WebApplication> StartFullWorkerAsync()
    {
        var builder = WebHostFactory.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.Run(context =>
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return Task.CompletedTask;
        });
        await app.StartAsync();
        return app;
    }

    [GeneratedRegex(@"^\s+at \S+")]
    private static partial Regex StackFrame();
}
