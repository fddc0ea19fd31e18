using Npgsql;
using QueueExporter.QueueJob.Connection;
using QueueExporter.QueueJob.Schema;

namespace QueueExporter.TestSupport;

/// <summary>
/// A real PostgreSQL for tests: a throwaway cluster of the machine's PostgreSQL, initialised in a temp
/// directory and started on a free loopback port (as the <c>postgres</c> user when we are root, since
/// PostgreSQL refuses to run as root), or the server named by <c>QUEUE_EXPORTER_TEST_DATABASE_URL</c>.
/// One shared cluster serves a whole test run; each test takes its own database from it, so tests run
/// in parallel. Tests that stop the server take a dedicated cluster instead.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    /// <summary>Names an existing server (a role with CREATEDB) to use instead of a throwaway cluster.</summary>
    public const string UrlEnvironmentVariable = "QUEUE_EXPORTER_TEST_DATABASE_URL";

    /// <summary>The role whose password the throwaway cluster checks (all other roles are trusted).</summary>
    public const string PasswordRole = "qe_password_user";

    /// <summary>That role's password.</summary>
    public const string PasswordRolePassword = "s3cret-Pa55";

    private static readonly Lazy<Task<PostgresServer>> Shared = new(StartSharedAsync);
    private static int s_databaseCounter;

    private readonly string? _dataDirectory;
    private readonly string? _binDirectory;

    private PostgresServer(DatabaseEndpoint adminEndpoint, string? dataDirectory, string? binDirectory)
    {
        AdminEndpoint = adminEndpoint;
        _dataDirectory = dataDirectory;
        _binDirectory = binDirectory;
    }

    /// <summary>Superuser access to the maintenance database <c>postgres</c>.</summary>
    public DatabaseEndpoint AdminEndpoint { get; }

    /// <summary>Whether this is our own cluster (it can be stopped, and it checks <see cref="PasswordRole"/>'s password).</summary>
    public bool IsThrowaway => _dataDirectory is not null;

    /// <summary>The cluster shared by the whole test run.</summary>
    public static Task<PostgresServer> SharedAsync() => Shared.Value;

    /// <summary>A private cluster that a test may stop and start; dispose it at the end.</summary>
    public static Task<PostgresServer> StartDedicatedAsync() => StartThrowawayAsync();

    /// <summary>Creates a uniquely named database holding the queue_job table of <paramref name="shape"/>.</summary>
    public async Task<TestDatabase> CreateDatabaseAsync(QueueJobShape shape = QueueJobShape.Odoo14To17, string? name = null)
    {
        name ??= $"qe_{shape.ToString().ToLowerInvariant()}_{Environment.ProcessId}_{Interlocked.Increment(ref s_databaseCounter)}";
        await using (var admin = await OpenAdminAsync())
        {
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", admin);
            await create.ExecuteNonQueryAsync();
        }

        var database = new TestDatabase(this, name);
        if (shape != QueueJobShape.Unknown)
        {
            await using var connection = await database.OpenConnectionAsync();
            await QueueJobShapes.CreateAsync(connection, shape);
        }

        return database;
    }

    /// <summary>Creates an empty database (no queue_job table).</summary>
    public Task<TestDatabase> CreateEmptyDatabaseAsync() => CreateDatabaseAsync(QueueJobShape.Unknown);

    /// <summary>A connection to the maintenance database as superuser.</summary>
    public async Task<NpgsqlConnection> OpenAdminAsync()
    {
        var connection = new NpgsqlConnection(AdminEndpoint.ToConnectionString("queue-exporter-tests", pooling: false));
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>Stops a throwaway cluster (fast shutdown: sessions are disconnected).</summary>
    public Task StopAsync() => PgCtlAsync("stop", "-m", "fast", "-w");

    /// <summary>Starts a stopped throwaway cluster again on the same port.</summary>
    public Task StartAsync() => PgCtlAsync("start", "-w", "-l", Path.Combine(_dataDirectory!, "server.log"));

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (_dataDirectory is null)
        {
            return;
        }

        try
        {
            await PgCtlAsync("stop", "-m", "immediate", "-w");
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }

        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless.
        }
    }

    private static async Task<PostgresServer> StartSharedAsync()
    {
        if (Environment.GetEnvironmentVariable(UrlEnvironmentVariable) is { Length: > 0 } url)
        {
            var endpoint = DatabaseEndpoint.Parse(url);
            return new PostgresServer(endpoint.Database is null ? endpoint.WithDatabase("postgres") : endpoint, null, null);
        }

        var server = await StartThrowawayAsync();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return server;
    }

    private static async Task<PostgresServer> StartThrowawayAsync()
    {
        var bin = PostgresBinaries.FindBinDirectory();
        var directory = Directory.CreateTempSubdirectory("qe-pg-").FullName;
        var data = Path.Combine(directory, "data");
        var asRoot = PostgresBinaries.RunningAsRoot;
        if (asRoot)
        {
            await PostgresBinaries.RunAsync("chown", ["postgres:postgres", directory]);
        }

        await PostgresBinaries.RunAsync(Path.Combine(bin, "initdb"), ["-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"], asRoot);
        var port = PostgresBinaries.FreeLoopbackPort();
        await File.AppendAllTextAsync(Path.Combine(data, "postgresql.conf"), $"""

            port = {port}
            listen_addresses = '127.0.0.1'
            unix_socket_directories = '{directory}'
            max_connections = 400
            fsync = off
            synchronous_commit = off
            full_page_writes = off
            shared_buffers = 128MB
            """);
        // Every role is trusted except one that tests wrong passwords against.
        await File.WriteAllTextAsync(Path.Combine(data, "pg_hba.conf"), $"""
            local all all trust
            host all {PasswordRole} 127.0.0.1/32 scram-sha-256
            host all all 127.0.0.1/32 trust
            """);
        var server = new PostgresServer(DatabaseEndpoint.Parse($"postgres://postgres@127.0.0.1:{port}/postgres"), directory, bin);
        await server.StartAsync();
        await using (var admin = await server.OpenAdminAsync())
        {
            await using var role = new NpgsqlCommand($"CREATE ROLE {PasswordRole} LOGIN PASSWORD '{PasswordRolePassword}'", admin);
            await role.ExecuteNonQueryAsync();
        }

        return server;
    }

    private async Task PgCtlAsync(params string[] arguments)
    {
        if (_dataDirectory is null || _binDirectory is null)
        {
            throw new InvalidOperationException("only a throwaway cluster can be stopped or started");
        }

        await PostgresBinaries.RunAsync(Path.Combine(_binDirectory, "pg_ctl"), ["-D", Path.Combine(_dataDirectory, "data"), .. arguments], PostgresBinaries.RunningAsRoot);
    }



}
