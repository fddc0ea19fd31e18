using System.Text;
using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;
using Prometheus;
using QueueExporter.QueueJob.Enqueue;
using QueueExporter.QueueJob.Schema;
using QueueExporter.TestSupport;
using QueueExporter.Worker;
using QueueExporter.Worker.Handlers;

namespace QueueExporter.IntegrationTests.Worker;

/// <summary>
/// A database of one queue_job generation and a worker serving it on an ephemeral loopback port,
/// with its own metrics registry: each test gets its own, so tests run in parallel.
/// </summary>
internal sealed class WorkerTestBed : IAsyncDisposable
{
    private WorkerTestBed(TestDatabase database, WorkerHost worker, CollectorRegistry metrics, JobEnqueuer enqueuer)
    {
        Database = database;
        Worker = worker;
        Metrics = metrics;
        Enqueuer = enqueuer;
        Http = new HttpClient { BaseAddress = worker.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public TestDatabase Database { get; }

    public WorkerHost Worker { get; }

    public CollectorRegistry Metrics { get; }

    public JobEnqueuer Enqueuer { get; }

    public HttpClient Http { get; }

    public static async Task<WorkerTestBed> StartAsync(
        QueueJobShape shape = QueueJobShape.Odoo14To17,
        Action<JobHandlerRegistry>? registerHandlers = null,
        Action<WorkerOptions>? configure = null)
    {
        var server = await PostgresServer.SharedAsync();
        var database = await server.CreateDatabaseAsync(shape);
        try
        {
            JobEnqueuer enqueuer;
            await using (var connection = await database.OpenConnectionAsync())
            {
                enqueuer = new JobEnqueuer(await SchemaDetector.DetectAsync(connection, CancellationToken.None));
            }

            var options = new WorkerOptions { Endpoint = database.Endpoint, Listen = "127.0.0.1:0", DemoHandlers = true, DefaultRetryDelay = TimeSpan.FromMinutes(10) };
            configure?.Invoke(options);
            var registry = Prometheus.Metrics.NewCustomRegistry();
            var worker = await WorkerHost.StartAsync(options, registry, registerHandlers, logging => logging.ClearProviders());
            return new WorkerTestBed(database, worker, registry, enqueuer);
        }
        catch
        {
            await database.DisposeAsync();
            throw;
        }
    }

    /// <summary>Adds a job and hands it over as a runner does: state enqueued, date_enqueued now.</summary>
    public async Task<string> EnqueueAsync(NewJob job)
    {
        await using var connection = await Database.OpenConnectionAsync();
        var uuid = await Enqueuer.EnqueueAsync(connection, job, null, CancellationToken.None);
        await connection.ExecuteAsync("UPDATE queue_job SET state = 'enqueued', date_enqueued = now() at time zone 'utc' WHERE uuid = @uuid AND state = 'pending'", new { uuid });
        return uuid;
    }

    public Task<HttpResponseMessage> RunJobAsync(string uuid, string? database = null) =>
        Http.GetAsync(Worker.RunJobUri(database ?? Database.Name, uuid));

    public async Task<dynamic> RowAsync(string uuid)
    {
        await using var connection = await Database.OpenConnectionAsync();
        return await connection.QuerySingleAsync("SELECT * FROM queue_job WHERE uuid = @uuid", new { uuid });
    }

    public async Task<T> ScalarAsync<T>(string sql, object? parameters = null)
    {
        await using var connection = await Database.OpenConnectionAsync();
        return (await connection.ExecuteScalarAsync<T>(sql, parameters))!;
    }

    public async Task<int> ExecuteAsync(string sql, object? parameters = null)
    {
        await using var connection = await Database.OpenConnectionAsync();
        return await connection.ExecuteAsync(sql, parameters);
    }

    public async Task<NpgsqlConnection> OpenConnectionAsync() => await Database.OpenConnectionAsync();

    public async Task<string> MetricsTextAsync()
    {
        using var stream = new MemoryStream();
        await Metrics.CollectAndExportAsTextAsync(stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Worker.DisposeAsync();
        await Database.DisposeAsync();
    }
}
