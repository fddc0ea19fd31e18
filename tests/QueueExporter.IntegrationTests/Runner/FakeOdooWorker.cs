using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using QueueExporter.QueueJob.Web;

namespace QueueExporter.IntegrationTests.Runner;

/// <summary>What the fake worker does with one runjob call.</summary>
public enum WorkerBehaviour
{
    /// <summary>Marks the job started then done (as Odoo's controller does) and answers 200.</summary>
    CompleteJob,

    /// <summary>Marks the job failed and answers 500.</summary>
    FailJob,

    /// <summary>Answers 200 and leaves the row alone (the job "keeps running").</summary>
    KeepRunning,
}

/// <summary>One runjob request as the fake worker received it.</summary>
public sealed record RunJobCall(string Database, string Uuid, DateTimeOffset At, long RunningInDatabase, string? Authorization);

/// <summary>
/// A stand-in for Odoo's HTTP workers on 127.0.0.1 with an ephemeral port: records every runjob call
/// (with how many jobs were enqueued/started in the database at that moment, to check capacities)
/// and acts on the row as <see cref="Behaviour"/> says.
/// </summary>
public sealed class FakeOdooWorker : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Func<string, string> _connectionStringFor;
    private readonly Channel<RunJobCall> _arrivals = Channel.CreateUnbounded<RunJobCall>();

    private FakeOdooWorker(WebApplication app, Func<string, string> connectionStringFor)
    {
        _app = app;
        _connectionStringFor = connectionStringFor;
    }

    public Uri Url { get; private set; } = null!;

    public WorkerBehaviour Behaviour { get; set; } = WorkerBehaviour.CompleteJob;

    /// <summary>How long a job "runs" before the worker records its outcome: simulated work, not a wait for a condition.</summary>
    public TimeSpan JobDuration { get; set; } = TimeSpan.Zero;

    public ConcurrentQueue<RunJobCall> Calls { get; } = new();

    public static async Task<FakeOdooWorker> StartAsync(Func<string, string> connectionStringFor)
    {
        var builder = WebHostFactory.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var worker = new FakeOdooWorker(app, connectionStringFor);
        app.MapGet("/queue_job/runjob", (Delegate)((HttpContext context) => worker.HandleAsync(context)));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        worker.Url = new Uri(address);
        return worker;
    }

    /// <summary>Waits for the next call (bounded).</summary>
    public async Task<RunJobCall> NextCallAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            return await _arrivals.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no runjob call within {timeout.TotalSeconds} s ({Calls.Count} so far)");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task<IResult> HandleAsync(HttpContext context)
    {
        var database = context.Request.Query["db"].ToString();
        var uuid = context.Request.Query["job_uuid"].ToString();
        await using var connection = new NpgsqlConnection(_connectionStringFor(database));
        await connection.OpenAsync();
        long running;
        await using (var count = new NpgsqlCommand("SELECT count(*) FROM queue_job WHERE state IN ('enqueued', 'started')", connection))
        {
            running = (long)(await count.ExecuteScalarAsync())!;
        }

        var call = new RunJobCall(database, uuid, DateTimeOffset.UtcNow, running, context.Request.Headers.Authorization.ToString() is { Length: > 0 } auth ? auth : null);
        Calls.Enqueue(call);
        _arrivals.Writer.TryWrite(call);
        if (Behaviour == WorkerBehaviour.KeepRunning)
        {
            return Results.Ok();
        }

        await ExecuteAsync(connection, "UPDATE queue_job SET state = 'started', date_started = now() at time zone 'utc' WHERE uuid = @uuid AND state = 'enqueued'", uuid);
        if (JobDuration > TimeSpan.Zero)
        {
            await Task.Delay(JobDuration);
        }

        if (Behaviour == WorkerBehaviour.FailJob)
        {
            await ExecuteAsync(connection, "UPDATE queue_job SET state = 'failed', exc_name = 'ValueError' WHERE uuid = @uuid AND state = 'started'", uuid);
            return Results.StatusCode(500);
        }

        await ExecuteAsync(connection, "UPDATE queue_job SET state = 'done', date_done = now() at time zone 'utc' WHERE uuid = @uuid AND state = 'started'", uuid);
        return Results.Ok();
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, string uuid)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("uuid", uuid);
        await command.ExecuteNonQueryAsync();
    }
}
