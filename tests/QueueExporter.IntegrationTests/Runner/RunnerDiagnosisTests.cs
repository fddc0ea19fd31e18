using Dapper;
using QueueExporter.QueueJob.Connection;
using QueueExporter.TestSupport;
using static QueueExporter.IntegrationTests.Runner.RunnerDispatchTests;

namespace QueueExporter.IntegrationTests.Runner;

/// <summary>A database that cannot be served is named with its real cause, and /healthz's source says it is not served.</summary>
public class RunnerDiagnosisTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_missing_trigger_is_reported_as_such_and_the_database_is_not_served()
    {
        await using var db = await CreateDatabaseAsync();
        await using (var connection = await db.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("DROP TRIGGER queue_job_notify ON queue_job");
        }

        await AssertDiagnosisAsync(db, db.Endpoint, "queue_job_notify trigger is missing");
    }

    [Fact]
    public async Task A_read_only_role_is_told_it_lacks_update_not_that_the_trigger_is_missing()
    {
        await using var db = await CreateDatabaseAsync();
        var role = "qe_reader_" + Guid.NewGuid().ToString("N")[..8];
        await using (var connection = await db.OpenConnectionAsync())
        {
            await connection.ExecuteAsync($"CREATE ROLE \"{role}\" LOGIN; GRANT SELECT ON queue_job TO \"{role}\"");
        }

        var endpoint = DatabaseEndpoint.Parse($"postgres://{role}@{db.Endpoint.Host}:{db.Endpoint.Port}/{db.Name}");
        await AssertDiagnosisAsync(db, endpoint, $"role {role} lacks UPDATE on queue_job (the runner reads and marks jobs)");
    }

    [Fact]
    public async Task A_database_without_the_table_is_named_as_such()
    {
        var server = await PostgresServer.SharedAsync();
        await using var db = await server.CreateEmptyDatabaseAsync();

        await AssertDiagnosisAsync(db, db.Endpoint, "no queue_job table (is the queue_job addon installed in this database?)");
    }

    [Fact]
    public async Task A_table_of_the_wrong_shape_is_named_with_its_missing_columns()
    {
        var server = await PostgresServer.SharedAsync();
        await using var db = await server.CreateEmptyDatabaseAsync();
        await using (var connection = await db.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("CREATE TABLE queue_job (id serial PRIMARY KEY, uuid varchar, state varchar)");
        }

        await AssertDiagnosisAsync(db, db.Endpoint, "queue_job has the wrong shape: no column channel, priority, date_created, date_enqueued, eta");
    }

    private static async Task AssertDiagnosisAsync(TestDatabase db, DatabaseEndpoint endpoint, string reason)
    {
        await using var runner = RunnerUnderTest.Start(db, new Uri("http://127.0.0.1:9"), "root:1", o => o with { Endpoint = endpoint });
        await Eventually.UntilAsync(
            () => runner.Runner.DatabaseHealth.TryGetValue(db.Name, out var h) && h.Status == "misconfigured",
            Patience,
            "the database is found misconfigured");
        var health = runner.Runner.DatabaseHealth[db.Name];
        Assert.Equal((false, reason), (health.Served, health.Reason));
        Assert.Equal(0, await runner.SampleAsync($"queue_runner_database_up{{server=\"{db.ServerLabel}\",database=\"{db.Name}\"}}"));
        Assert.False(runner.Runner.Leadership[db.Name]);
    }
}
