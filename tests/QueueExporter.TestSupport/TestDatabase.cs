using Npgsql;
using QueueExporter.QueueJob.Connection;

namespace QueueExporter.TestSupport;

/// <summary>A database of its own for one test; dropped (with its sessions) on dispose.</summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private readonly PostgresServer _server;

    internal TestDatabase(PostgresServer server, string name)
    {
        _server = server;
        Name = name;
        Endpoint = server.AdminEndpoint.WithDatabase(name);
        ConnectionString = Endpoint.ToConnectionString("queue-exporter-tests");
    }

    /// <summary>The database name.</summary>
    public string Name { get; }

    /// <summary>Superuser access to this database.</summary>
    public DatabaseEndpoint Endpoint { get; }

    /// <summary>A pooled connection string to this database.</summary>
    public string ConnectionString { get; }

    /// <summary>A <c>postgres://</c> URL for command lines.</summary>
    public string Url => $"postgres://{Endpoint.Username}@{Endpoint.Host}:{Endpoint.Port}/{Name}";

    /// <summary>The <c>server</c> label the runner gives this database's series: its server's host:port.</summary>
    public string ServerLabel => $"{Endpoint.Host}:{Endpoint.Port}";

    /// <summary>An open connection to this database.</summary>
    public async Task<NpgsqlConnection> OpenConnectionAsync()
    {
        var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        try
        {
            await using var admin = await _server.OpenAdminAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync();
        }
        catch (NpgsqlException)
        {
            // A test that stopped its dedicated server leaves nothing to drop.
        }
    }
}
