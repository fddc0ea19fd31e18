using System.Diagnostics;
using System.Net;
using Dapper;
using QueueExporter.IntegrationTests.Cli;
using QueueExporter.TestSupport;
using Xunit.Abstractions;

namespace QueueExporter.IntegrationTests.Runner;

/// <summary>
/// Connections grow with databases by one, not two: the real runner process, discovering a hundred
/// databases, holds at rest one listening session per database (OCA's runner holds one too), its pooled
/// connections having closed; /healthz says every database is served. How long /healthz and /metrics
/// take to answer is printed, not asserted (timings belong to benchmarks).
/// </summary>
public class RunnerConnectionTests(ITestOutputHelper output)
{
    private const int Databases = 100;

    [Fact]
    public async Task A_runner_leading_a_hundred_databases_holds_at_most_one_connection_per_database_at_rest()
    {
        // A cluster of its own: discovery and connection counts must see only this test's databases.
        await using var server = await PostgresServer.StartDedicatedAsync();
        var databases = new List<TestDatabase>();
        try
        {
            for (var i = 0; i < Databases; i++)
            {
                databases.Add(await server.CreateDatabaseAsync());
            }

            var port = RunnerCommandTests.UnusedPort();
            var url = $"postgres://{server.AdminEndpoint.Username}@{server.AdminEndpoint.Host}:{server.AdminEndpoint.Port}/";
            using var process = Process.Start(QueueExporterCli.StartInfo(["runner", "--database-url", url, "--worker-url", "http://127.0.0.1:9", "--listen", $"127.0.0.1:{port}"]))!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            try
            {
                using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
                await Eventually.UntilAsync(
                    async () => await RunnerCommandTests.TryGetStatusAsync(http, "/healthz") == HttpStatusCode.OK,
                    TimeSpan.FromSeconds(120),
                    $"/healthz says all {Databases} databases are served");

                await using var admin = await server.OpenAdminAsync();
                long connections = 0;
                // A database's pooled connections close once it has had no work for 5 s (IdlePoolCloser): at rest only listening sessions remain.
                await Eventually.UntilAsync(
                    async () => (connections = await admin.ExecuteScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'queue-exporter-runner'")) <= Databases * 105 / 100,
                    TimeSpan.FromSeconds(60),
                    $"at most {Databases * 105 / 100} connections at rest for {Databases} databases");

                using var healthResponse = await http.GetAsync("/healthz");
                var health = await healthResponse.Content.ReadAsStringAsync();
                Assert.True(healthResponse.StatusCode == HttpStatusCode.OK, $"{healthResponse.StatusCode}:\n{string.Join('\n', health.Split('\n').Where(l => !l.EndsWith(": leading", StringComparison.Ordinal)))}");
                Assert.Equal(Databases, health.Split('\n').Count(l => l.StartsWith("db ", StringComparison.Ordinal) && l.EndsWith(": leading", StringComparison.Ordinal)));
                var timer = Stopwatch.StartNew();
                await http.GetStringAsync("/healthz");
                var healthTime = timer.Elapsed;
                timer.Restart();
                var metrics = await http.GetStringAsync("/metrics");
                var metricsTime = timer.Elapsed;
                foreach (var (state, query, count) in await admin.QueryAsync<(string, string, long)>(
                    "SELECT coalesce(state, ''), left(query, 70), count(*) FROM pg_stat_activity WHERE application_name = 'queue-exporter-runner' GROUP BY 1, 2 ORDER BY 3 DESC"))
                {
                    output.WriteLine($"  {count} {state}: {query}");
                }

                output.WriteLine($"{Databases} databases led with {connections} connections at rest; /healthz answered in {healthTime.TotalMilliseconds:0} ms, /metrics ({metrics.Length / 1024} KiB) in {metricsTime.TotalMilliseconds:0} ms");
            }
            finally
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }

                await process.WaitForExitAsync();
                output.WriteLine((await stderr).Split('\n').LastOrDefault(l => l.Length > 0) ?? "");
                _ = await stdout;
            }
        }
        finally
        {
            foreach (var database in databases)
            {
                await database.DisposeAsync();
            }
        }
    }
}
