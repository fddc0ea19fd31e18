using QueueExporter.QueueJob.Connection;
using QueueExporter.TestSupport;

namespace QueueExporter.IntegrationTests.QueueJob;

public class DiscoveryTests
{
    [Fact]
    public async Task Discovery_finds_databases_with_queue_job_and_skips_the_others()
    {
        var server = await PostgresServer.SharedAsync();
        await using var withTable = await server.CreateDatabaseAsync();
        await using var withoutTable = await server.CreateEmptyDatabaseAsync();
        var databases = new QueueJobDatabases(server.AdminEndpoint.WithDatabase("postgres"), [], "discovery-test");

        var found = await databases.DiscoverAsync(CancellationToken.None);

        Assert.Contains(withTable.Name, found);
        Assert.DoesNotContain(withoutTable.Name, found);
    }

    [Fact]
    public async Task Named_databases_are_used_as_given_sorted_and_without_duplicates()
    {
        var server = await PostgresServer.SharedAsync();
        var databases = new QueueJobDatabases(server.AdminEndpoint, ["b", "a", "b"], "discovery-test");

        Assert.Equal(["a", "b"], await databases.ResolveAsync(CancellationToken.None));
    }
}
