using System.Text.RegularExpressions;
using QueueExporter.IntegrationTests.Cli;
using QueueExporter.QueueJob.Connection;
using QueueExporter.TestSupport;

namespace QueueExporter.IntegrationTests.Runner;

/// <summary>Without a database list, databases that appear or disappear on the server are served or stopped without a restart.</summary>
public partial class RunnerDiscoveryTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_database_created_while_the_runner_runs_is_led_and_one_dropped_is_let_go()
    {
        // A cluster of its own: discovery serves every queue_job database on the server, and the shared
        // cluster holds other tests' databases.
        await using var server = await PostgresServer.StartDedicatedAsync();
        await using var first = await server.CreateDatabaseAsync();
        await using var runner = RunnerUnderTest.Start(first, new Uri("http://127.0.0.1:9"), "root:1", o => o with
        {
            Endpoint = DatabaseEndpoint.Parse($"postgres://{server.AdminEndpoint.Username}@{server.AdminEndpoint.Host}:{server.AdminEndpoint.Port}"),
            Databases = [],
            DiscoveryInterval = TimeSpan.FromMilliseconds(300),
        });
        await Eventually.UntilAsync(() => runner.Runner.Leadership.GetValueOrDefault(first.Name), Patience, "the first database is led");

        var second = await server.CreateDatabaseAsync();
        await Eventually.UntilAsync(() => runner.Runner.Leadership.GetValueOrDefault(second.Name), Patience, "a database created later is led without a restart");

        await second.DisposeAsync(); // DROP DATABASE ... WITH (FORCE)
        await Eventually.UntilAsync(() => !runner.Runner.Leadership.ContainsKey(second.Name), Patience, "a dropped database is let go");
        Assert.True(runner.Runner.Leadership[first.Name]);
        Assert.True(runner.Runner.DatabaseHealth[first.Name].Served);
    }

    [Fact]
    public async Task A_server_that_never_answers_is_reported_and_the_runner_still_stops_cleanly()
    {
        await using var placeholder = await (await PostgresServer.SharedAsync()).CreateDatabaseAsync();

        // Nothing listens on port 1 of loopback: every listing fails at once.
        var runner = RunnerUnderTest.Start(placeholder, new Uri("http://127.0.0.1:9"), "root:1", o => o with
        {
            Endpoint = DatabaseEndpoint.Parse("postgres://nobody@127.0.0.1:1"),
            Databases = [],
        });
        await Eventually.UntilAsync(() => runner.Runner.DiscoveryFailure?.Contains("127.0.0.1:1", StringComparison.Ordinal) == true, Patience, "the failing listing reported");
        Assert.False(runner.Runner.HasTriedEveryDatabase);
        Assert.Empty(runner.Runner.DatabaseHealth);

        // Stopping while it waits to list again ends the run without an exception.
        await runner.StopAsync();
    }

    [Fact]
    public async Task A_server_that_stays_down_logs_its_stack_once_and_a_line_per_retry()
    {
        // Nothing listens on port 1 of loopback: every listing fails at once, with the same failure.
        await using var runner = RunningCommand.Start(
            ["runner", "--database-url", "postgres://nobody@127.0.0.1:1", "--listen", "127.0.0.1:0", "--worker-url", "http://127.0.0.1:9", "--channels", "root:1"]);
        await Eventually.UntilAsync(
            () => Task.FromResult(runner.Lines.Count(l => l.Contains("exception: sleeping 5s and retrying", StringComparison.Ordinal)) >= 3),
            Patience,
            "three failed listings, 5 s apart");

        Assert.Equal(0, await runner.StopAsync());
        Assert.True(runner.Lines.Count(l => l.Contains("127.0.0.1:1", StringComparison.Ordinal)) >= 3, runner.Output);
        // The console log keeps an exception on its line: the stack follows the first retry's line only.
        Assert.Equal(1, runner.Lines.Count(l => ExceptionWithStack().IsMatch(l)));
        Assert.True(runner.Lines.Count(l => l.EndsWith("exception: sleeping 5s and retrying", StringComparison.Ordinal)) >= 2, runner.Output);
    }

    [GeneratedRegex(@"exception: sleeping 5s and retrying \S*Exception \(0x[0-9A-Fa-f]+\): .* at \S+")]
    private static partial Regex ExceptionWithStack();
}
