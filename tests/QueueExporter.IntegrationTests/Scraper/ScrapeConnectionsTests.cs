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

        Assert.Equal("1500ms", await ShowAsync(direct, "statement_timeout"));
        Assert.Equal("1500ms", await ShowAsync(viaDiscovery, "statement_timeout"));
    }

    [Fact]
    public async Task Sessions_asked_for_bitmap_scans_only_turn_plain_index_scans_off_and_others_keep_them()
    {
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateDatabaseAsync();

        var bitmapOnly = ScrapeConnections.For(database.Endpoint, database.Name, TimeSpan.FromSeconds(5), bitmapScansOnly: true);
        var ordinary = ScrapeConnections.For(database.Endpoint, database.Name, TimeSpan.FromSeconds(5));

        Assert.Equal("off", await ShowAsync(bitmapOnly, "enable_indexscan"));
        Assert.Equal("on", await ShowAsync(bitmapOnly, "enable_bitmapscan"));
        Assert.Equal("5s", await ShowAsync(bitmapOnly, "statement_timeout"));
        Assert.Equal("on", await ShowAsync(ordinary, "enable_indexscan"));
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

    private static async Task<string?> ShowAsync(string connectionString, string setting)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var show = new NpgsqlCommand($"SHOW {setting}", connection);
        return (string?)await show.ExecuteScalarAsync();
    }
}
