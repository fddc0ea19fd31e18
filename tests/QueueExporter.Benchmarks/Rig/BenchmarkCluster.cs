using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;
using QueueExporter.QueueJob.Connection;
using QueueExporter.QueueJob.Schema;

namespace QueueExporter.Benchmarks.Rig;

/// <summary>
/// A private PostgreSQL 15 cluster with DURABLE settings (fsync, full_page_writes and
/// synchronous_commit on: the test harness's cluster turns them off for speed, which would make every
/// figure here meaningless). pg_stat_statements is preloaded so that transactions can be counted per
/// role: the runner, the worker and the producers each log in as their own role.
/// </summary>
internal sealed class BenchmarkCluster : IAsyncDisposable
{
    public const string RunnerRole = "bench_runner";
    public const string WorkerRole = "bench_worker";
    public const string ProducerRole = "bench_producer";

    private readonly string _directory;
    private readonly string _bin;

    private BenchmarkCluster(string directory, string bin, int port)
    {
        _directory = directory;
        _bin = bin;
        Port = port;
    }

    public int Port { get; }

    public string BinDirectory => _bin;

    public static async Task<BenchmarkCluster> StartAsync()
    {
        var bin = FindBinDirectory();
        var directory = Directory.CreateTempSubdirectory("qe-bench-pg-").FullName;
        var data = Path.Combine(directory, "data");
        if (IsRoot)
        {
            await RunAsync("chown", ["postgres:postgres", directory], asPostgres: false);
        }

        // --no-sync: initdb's own files need no fsync (a crash now just means no cluster); the server runs with fsync on.
        await RunAsync(Path.Combine(bin, "initdb"), ["-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"], IsRoot);
        var port = FreePort();
        await File.AppendAllTextAsync(Path.Combine(data, "postgresql.conf"), $"""

            port = {port}
            listen_addresses = '127.0.0.1'
            unix_socket_directories = '{directory}'
            max_connections = 300
            fsync = on
            synchronous_commit = on
            full_page_writes = on
            shared_buffers = 256MB
            max_wal_size = 2GB
            shared_preload_libraries = 'pg_stat_statements'
            pg_stat_statements.track_utility = on
            pg_stat_statements.max = 5000
            """);
        var cluster = new BenchmarkCluster(directory, bin, port);
        await RunAsync(Path.Combine(bin, "pg_ctl"), ["-D", data, "-w", "-l", Path.Combine(directory, "server.log"), "start"], IsRoot);
        await using var admin = await cluster.OpenAsync("postgres", "postgres");
        foreach (var role in (string[])[RunnerRole, WorkerRole, ProducerRole])
        {
            await ExecuteAsync(admin, $"CREATE ROLE {role} LOGIN SUPERUSER");
        }

        return cluster;
    }

    public DatabaseEndpoint Endpoint(string database, string role) =>
        DatabaseEndpoint.Parse($"postgres://{role}@127.0.0.1:{Port}/{database}");

    public string ConnectionString(string database, string role, bool pooling = true) =>
        Endpoint(database, role).ToConnectionString("queue-exporter-bench", pooling);

    public async Task<NpgsqlConnection> OpenAsync(string database, string role = "postgres")
    {
        var connection = new NpgsqlConnection(ConnectionString(database, role, pooling: false));
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>A new database with the queue_job table (16.0/17.0 shape, lock table, notify trigger) and pg_stat_statements.</summary>
    public async Task CreateQueueDatabaseAsync(string name, bool synchronousCommit)
    {
        await using (var admin = await OpenAsync("postgres"))
        {
            await ExecuteAsync(admin, $"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
            await ExecuteAsync(admin, $"CREATE DATABASE \"{name}\"");
            if (!synchronousCommit)
            {
                // Every session of this database (runner, worker, producers, pgbench) commits asynchronously.
                await ExecuteAsync(admin, $"ALTER DATABASE \"{name}\" SET synchronous_commit = off");
            }
        }

        await using var connection = await OpenAsync(name);
        await SchemaInstaller.InstallAsync(connection, CancellationToken.None);
        await ExecuteAsync(connection, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
    }

    public async Task DropDatabaseAsync(string name)
    {
        NpgsqlConnection.ClearAllPools();
        await using var admin = await OpenAsync("postgres");
        await ExecuteAsync(admin, $"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
    }

    public static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 600 };
        await command.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        try
        {
            await RunAsync(Path.Combine(_bin, "pg_ctl"), ["-D", Path.Combine(_directory, "data"), "-m", "immediate", "-w", "stop"], IsRoot);
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless.
        }
    }

    /// <summary>Runs a program to completion (as the postgres user when asked and we are root); returns stdout, throws with stderr on failure.</summary>
    public static async Task<string> RunAsync(string program, IReadOnlyList<string> arguments, bool asPostgres, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(asPostgres ? "runuser" : program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (asPostgres)
        {
            foreach (var a in (string[])["-u", "postgres", "--", program])
            {
                start.ArgumentList.Add(a);
            }
        }

        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(program)} {string.Join(' ', arguments)} failed ({process.ExitCode}): {await stderr}{await stdout}");
        }

        return await stdout + await stderr;
    }

    private static bool IsRoot => Environment.UserName == "root";

    private static string FindBinDirectory()
    {
        var candidates = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "pgbench"))).Order().ToList()
            : [];
        return candidates.Count > 0 ? candidates[^1] : throw new InvalidOperationException("no PostgreSQL server binaries (with pgbench) under /usr/lib/postgresql");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
