using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using QueueExporter.IntegrationTests.Cli;
using QueueExporter.QueueJob.Enqueue;
using QueueExporter.QueueJob.Schema;
using QueueExporter.TestSupport;

namespace QueueExporter.IntegrationTests.Worker;

public partial class WorkerCommandTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Worker_help_describes_every_option()
    {
        var (exitCode, stdout, _) = await QueueExporterCli.RunAsync(["worker", "--help"]);

        Assert.Equal(0, exitCode);
        foreach (var option in (string[])["--database-url", "--database", "--listen", "--demo-handlers", "--http-auth-user", "--http-auth-password", "--default-retry-delay",
                 "--max-concurrent-jobs", "--pool-size", "--dead-job-grace", "--lock-check-interval", "--lock-check-timeout", "--log-format"])
        {
            Assert.Contains(option, stdout, StringComparison.Ordinal);
        }

        Assert.Contains("127.0.0.1:8069", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_listen_value_stops_the_worker_with_one_line_and_exit_code_2()
    {
        var (exitCode, _, stderr) = await QueueExporterCli.RunAsync(["worker", "--database-url", "postgres://u@127.0.0.1:1/db", "--listen", "nowhere"]);

        Assert.Equal(2, exitCode);
        Assert.StartsWith("queue-exporter: worker: Listen", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_lock_check_that_could_not_react_within_the_grace_stops_the_worker_with_one_line()
    {
        // Default check: 1 s interval + 2 s timeout, not below a 2 s grace.
        var (exitCode, _, stderr) = await QueueExporterCli.RunAsync(["worker", "--database-url", "postgres://u@127.0.0.1:1/db", "--dead-job-grace", "2"]);

        Assert.Equal(2, exitCode);
        Assert.StartsWith("queue-exporter: worker: LockCheckInterval + LockCheckTimeout (3 s) must stay below DeadJobGrace (2 s)", stderr, StringComparison.Ordinal);
        Assert.Single(stderr.Trim().Split('\n'));
    }

    [Fact]
    public async Task The_worker_command_runs_demo_jobs_and_stops_cleanly_on_sigterm()
    {
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateDatabaseAsync(QueueJobShape.Odoo18);
        using var process = Process.Start(QueueExporterCli.StartInfo(["worker", "--database-url", database.Url, "--listen", "127.0.0.1:0", "--demo-handlers"]))
            ?? throw new InvalidOperationException("could not start queue-exporter worker");
        try
        {
            var baseAddress = await QueueExporterCli.ReadListeningAddressAsync(process, ListeningLine(), Timeout);
            await using var connection = await database.OpenConnectionAsync();
            var enqueuer = new JobEnqueuer(await SchemaDetector.DetectAsync(connection, CancellationToken.None));
            var uuid = await enqueuer.EnqueueAsync(connection, new NewJob { ModelName = "queue.demo", MethodName = "slow", ArgsJson = "[0.05]" }, null, CancellationToken.None);
            await using (var enqueue = new Npgsql.NpgsqlCommand("UPDATE queue_job SET state = 'enqueued' WHERE uuid = @u", connection))
            {
                enqueue.Parameters.AddWithValue("u", uuid);
                await enqueue.ExecuteNonQueryAsync();
            }

            using var http = new HttpClient { BaseAddress = baseAddress, Timeout = Timeout };
            using var response = await http.GetAsync(new Uri($"queue_job/runjob?db={database.Name}&job_uuid={uuid}", UriKind.Relative));
            var metrics = await http.GetStringAsync(new Uri("metrics", UriKind.Relative));
            await using var state = new Npgsql.NpgsqlCommand("SELECT state || ' ' || result FROM queue_job WHERE uuid = @u", connection);
            state.Parameters.AddWithValue("u", uuid);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("done slept 0.05 s", (string?)await state.ExecuteScalarAsync());
            Assert.Contains("queue_worker_jobs_total{channel=\"root\",function=\"queue.demo.slow\",outcome=\"done\"} 1", metrics, StringComparison.Ordinal);

            await QueueExporterCli.TerminateAsync(process, Timeout);
            Assert.Equal(0, process.ExitCode);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }


    [GeneratedRegex(@"worker listening on (http://127\.0\.0\.1:\d+/)")]
    private static partial Regex ListeningLine();
}
