using Npgsql;
using QueueExporter.QueueJob.Connection;
using QueueExporter.QueueJob.Schema;

using QueueExporter.TestSupport;

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
    public const string ScraperRole = "bench_scraper";

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

    /// <summary>The postmaster's process id (the first line of postmaster.pid): every backend is its child.</summary>
    public int PostmasterPid => int.Parse(File.ReadLines(Path.Combine(_directory, "data", "postmaster.pid")).First(), System.Globalization.CultureInfo.InvariantCulture);

    public static async Task<BenchmarkCluster> StartAsync()
    {
        var bin = PostgresBinaries.FindBinDirectory("pgbench");
        var directory = Directory.CreateTempSubdirectory("qe-bench-pg-").FullName;
        var data = Path.Combine(directory, "data");
        if (PostgresBinaries.RunningAsRoot)
        {
            await PostgresBinaries.RunAsync("chown", ["postgres:postgres", directory], asPostgresUser: false);
        }

        // --no-sync: initdb's own files need no fsync (a crash now just means no cluster); the server runs with fsync on.
        await PostgresBinaries.RunAsync(Path.Combine(bin, "initdb"), ["-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"], PostgresBinaries.RunningAsRoot);
        var port = PostgresBinaries.FreeLoopbackPort();
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
        await PostgresBinaries.RunAsync(Path.Combine(bin, "pg_ctl"), ["-D", data, "-w", "-l", Path.Combine(directory, "server.log"), "start"], PostgresBinaries.RunningAsRoot);
        await using var admin = await cluster.OpenAsync("postgres", "postgres");
        foreach (var role in (string[])[RunnerRole, WorkerRole, ProducerRole, ScraperRole])
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

    /// <summary>
    /// Ends a flow's warm-up. A long-lived queue_job table has statistics and is vacuumed now and then; a fresh one
    /// has neither until autovacuum's first visit, about a minute in, i.e. at a different point of every run's window.
    /// Without statistics each pooled session's cached plan for the re-read was whatever the first calls on a tiny
    /// table made it (9 to 113 shared blocks per call in three runs of one build), and the warm-up's dead rows are in
    /// every lookup. So a window starts on a vacuumed, analysed table, as autovacuum keeps a busy one.
    /// </summary>
    public async Task VacuumQueueAsync(string database)
    {
        await using var connection = await OpenAsync(database);
        await ExecuteAsync(connection, "VACUUM (ANALYZE) queue_job, queue_job_lock");
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
            await PostgresBinaries.RunAsync(Path.Combine(_bin, "pg_ctl"), ["-D", Path.Combine(_directory, "data"), "-m", "immediate", "-w", "stop"], PostgresBinaries.RunningAsRoot);
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




}
