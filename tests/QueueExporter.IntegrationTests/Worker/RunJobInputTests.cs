using System.Net;
using System.Text.RegularExpressions;
using QueueExporter.IntegrationTests.Cli;
using QueueExporter.TestSupport;

namespace QueueExporter.IntegrationTests.Worker;

/// <summary>
/// What a caller puts in a runjob request's query string reaches neither SQL nor the log raw: the real
/// worker process, its real log output.
/// </summary>
public sealed partial class RunJobInputTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("%00abc", @"\x00abc")]
    [InlineData("a%0D%0A2026-01-01 00:00:00,000 1 ERROR forged", @"a\x0d\x0a2026-01-01")]
    [InlineData("%1B%5B31mred", @"\x1b[31mred")]
    public async Task A_job_uuid_with_control_characters_is_answered_400_and_logged_escaped_on_one_line(string escapedInQuery, string expectedInLog)
    {
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateDatabaseAsync();
        await using var worker = RunningCommand.Start(["worker", "--database-url", database.Url, "--listen", "127.0.0.1:0"]);
        var address = (await worker.WaitForLineAsync(ListeningLine(), Patience, "the worker listens")).Groups[1].Value;

        using var http = new HttpClient { BaseAddress = new Uri(address) };
        using var response = await http.GetAsync(new Uri($"queue_job/runjob?db={database.Name}&job_uuid={escapedInQuery}", UriKind.Relative));
        var line = (await worker.WaitForLineAsync(RefusedLine(), Patience, "the refusal is logged")).Value;
        await worker.StopAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(expectedInLog, line, StringComparison.Ordinal);
        Assert.DoesNotContain(worker.Lines, l => l.Any(c => char.IsControl(c) && c != '\t'));
        Assert.DoesNotContain(worker.Lines, l => l.Contains("forged", StringComparison.Ordinal) && !l.Contains("refused a runjob request", StringComparison.Ordinal));
        Assert.DoesNotContain(worker.Lines, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal));
    }

    [GeneratedRegex(@"worker listening on (http://127\.0\.0\.1:\d+/)")]
    private static partial Regex ListeningLine();

    [GeneratedRegex(@"refused a runjob request with control characters.*")]
    private static partial Regex RefusedLine();
}
