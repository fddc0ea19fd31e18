using System.Net;
using System.Net.Sockets;
using Npgsql;
using QueueExporter.QueueJob.Connection;
using QueueExporter.QueueJob.Schema;
using QueueExporter.TestSupport;

namespace QueueExporter.IntegrationTests.QueueJob;

public class ConnectionErrorTests
{
    private static async Task<string> FailureLineAsync(DatabaseEndpoint endpoint, bool detect = false)
    {
        try
        {
            await using var connection = new NpgsqlConnection(endpoint.ToConnectionString("error-test", pooling: false));
            await connection.OpenAsync();
            if (detect)
            {
                await SchemaDetector.DetectAsync(connection, CancellationToken.None);
            }
        }
        catch (Exception ex)
        {
            return DatabaseErrorDescriber.Describe(ex, endpoint);
        }

        throw new InvalidOperationException("expected a failure");
    }

    [Fact]
    public async Task A_wrong_password_says_so_and_never_prints_it()
    {
        var server = await PostgresServer.SharedAsync();
        if (!server.IsThrowaway)
        {
            return; // An external server's pg_hba.conf is not ours to set: only the throwaway cluster checks this role's password.
        }

        var endpoint = DatabaseEndpoint.Parse($"postgres://{PostgresServer.PasswordRole}:not-the-Pa55word@{server.AdminEndpoint.Host}:{server.AdminEndpoint.Port}/postgres");

        var line = await FailureLineAsync(endpoint);

        Assert.Contains($"authentication failed for user \"{PostgresServer.PasswordRole}\"", line, StringComparison.Ordinal);
        Assert.Contains("wrong password", line, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-Pa55word", line, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', line);
    }

    [Fact]
    public async Task An_unreachable_host_names_host_and_port()
    {
        using var reserved = new TcpListener(IPAddress.Loopback, 0);
        reserved.Start();
        var port = ((IPEndPoint)reserved.LocalEndpoint).Port;
        reserved.Stop();

        var line = await FailureLineAsync(DatabaseEndpoint.Parse($"postgres://u:secretpw@127.0.0.1:{port}/db"));

        Assert.Equal($"cannot reach PostgreSQL at 127.0.0.1:{port}: connection refused (is the server running and listening there?)", line);
    }

    [Fact]
    public async Task A_missing_database_is_named()
    {
        var server = await PostgresServer.SharedAsync();

        var line = await FailureLineAsync(server.AdminEndpoint.WithDatabase("no_such_db_here"));

        Assert.Contains("database \"no_such_db_here\" does not exist", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_database_without_queue_job_is_named()
    {
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateEmptyDatabaseAsync();

        var line = await FailureLineAsync(database.Endpoint, detect: true);

        Assert.StartsWith($"database \"{database.Name}\" has no queue_job table", line, StringComparison.Ordinal);
    }
}
