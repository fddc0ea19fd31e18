using Dapper;
using QueueExporter.QueueJob.Connection;
using QueueExporter.TestSupport;
using Xunit.Abstractions;

namespace QueueExporter.IntegrationTests.Runner;

/// <summary>
/// Connections grow with databases by one, not two: a runner serving many databases holds, at rest, one
/// listening session per database (OCA's runner holds one too), its pooled connections having closed.
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

            await using var runner = RunnerUnderTest.Start(databases[0], new Uri("http://127.0.0.1:9"), "root:1", o => o with
            {
                Endpoint = DatabaseEndpoint.Parse($"postgres://{server.AdminEndpoint.Username}@{server.AdminEndpoint.Host}:{server.AdminEndpoint.Port}"),
                Databases = [.. databases.Select(d => d.Name)],
            });
            await Eventually.UntilAsync(
                () => databases.All(d => runner.Runner.Leadership.GetValueOrDefault(d.Name)),
                TimeSpan.FromSeconds(120),
                "every database is led");

            await using var admin = await server.OpenAdminAsync();
            long connections = 0;
            // Pooled connections close after 10 s idle (pruned every 5 s): at rest only listening sessions remain.
            await Eventually.UntilAsync(
                async () => (connections = await admin.ExecuteScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE application_name = @app", new { app = runner.ApplicationName })) <= Databases * 105 / 100,
                TimeSpan.FromSeconds(60),
                $"at most {Databases * 105 / 100} connections at rest for {Databases} databases");
            output.WriteLine($"{Databases} databases led with {connections} connections at rest");
            Assert.All(runner.Runner.DatabaseHealth.Values, h => Assert.True(h.Served, h.Reason));
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
