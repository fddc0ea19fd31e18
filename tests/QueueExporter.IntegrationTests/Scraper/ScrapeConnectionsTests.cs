using Npgsql;
using QueueExporter.Scraper.Database;
using QueueExporter.TestSupport;

namespace QueueExporter.IntegrationTests.Scraper;

public sealed class ScrapeConnectionsTests
{
    [Fact]
    public async Task Every_scraper_session_carries_the_statement_timeout()
    {
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateDatabaseAsync();
        var timeout = TimeSpan.FromMilliseconds(1500);

        var direct = ScrapeConnections.For(database.Endpoint, database.Name, timeout);
        var viaDiscovery = ScrapeConnections.WithStatementTimeout(database.Endpoint, timeout)
            .WithDatabase(database.Name)
            .ToConnectionString("discovery");

        Assert.Equal("1500ms", await ShowStatementTimeoutAsync(direct));
        Assert.Equal("1500ms", await ShowStatementTimeoutAsync(viaDiscovery));
    }

    [Fact]
    public async Task A_query_slower_than_the_timeout_is_cancelled_by_the_server()
    {
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateDatabaseAsync();
        await using var connection = new NpgsqlConnection(ScrapeConnections.For(database.Endpoint, database.Name, TimeSpan.FromMilliseconds(200)));
        await connection.OpenAsync();
        await using var slow = new NpgsqlCommand("SELECT pg_sleep(5)", connection);

        var error = await Assert.ThrowsAsync<PostgresException>(() => slow.ExecuteNonQueryAsync());

        Assert.Equal(PostgresErrorCodes.QueryCanceled, error.SqlState);
    }

    private static async Task<string?> ShowStatementTimeoutAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var show = new NpgsqlCommand("SHOW statement_timeout", connection);
        return (string?)await show.ExecuteScalarAsync();
    }
}
