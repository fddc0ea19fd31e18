using System.Net;
using Dapper;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using QueueExporter.QueueJob.Enqueue;
using QueueExporter.QueueJob.Schema;
using QueueExporter.Runner.Rescue;
using QueueExporter.TestSupport;
using QueueExporter.Worker;
using QueueExporter.Worker.Handlers;
using QueueExporter.Worker.Storage;

namespace QueueExporter.IntegrationTests.Worker;

/// <summary>
/// At most one live run per job, shown with real sessions and rows and no processes: a run whose lock
/// session dies is cancelled before the rescue can requeue its job; a stale run's finish changes
/// nothing; a rescue racing a start at each of its steps never leaves two runs.
/// </summary>
public sealed class RunSafetyTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task A_run_whose_lock_session_is_terminated_is_cancelled_before_the_rescue_can_requeue_its_job()
    {
        var handler = new CancellableHandler();
        await using var bed = await WorkerTestBed.StartAsync(
            registerHandlers: r => r.Register("test.long.run", handler.RunAsync),
            configure: o =>
            {
                o.DeadJobGrace = Grace;
                o.LockCheckInterval = TimeSpan.FromMilliseconds(200);
                o.LockCheckTimeout = TimeSpan.FromMilliseconds(500);
            });
        var uuid = await bed.EnqueueAsync(new NewJob { ModelName = "test.long", MethodName = "run" });
        // Dispatched long ago: only the rescue's own wait stands between the dead lock and a requeue.
        await bed.ExecuteAsync("UPDATE queue_job SET date_enqueued = date_enqueued - interval '1 minute' WHERE uuid = @uuid", new { uuid });
        var request = bed.RunJobAsync(uuid);
        await handler.Started.Task.WaitAsync(Timeout);

        await using var runner = await bed.OpenConnectionAsync();
        var schema = await SchemaDetector.DetectAsync(runner, CancellationToken.None);
        var rescuer = new DeadJobRescuer(TimeProvider.System, Grace, TimeSpan.FromMinutes(5), batchLimit: 100);
        Assert.Empty(await rescuer.RescueAsync(runner, schema, lease: null, CancellationToken.None));
        Assert.Equal(1L, await runner.ExecuteScalarAsync<long>(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND application_name = @app AND state LIKE 'idle in transaction%'",
            new { app = WorkerOptions.ApplicationName }));

        // The rescue polls as fast as it can: the first pass that requeues the job marks the moment.
        IReadOnlyList<RescuedJob> rescued = [];
        await Eventually.UntilAsync(
            async () => (rescued = await rescuer.RescueAsync(runner, schema, lease: null, CancellationToken.None)).Count > 0,
            Timeout,
            "the rescue requeues the job of the dead session");
        var requeuedAt = DateTimeOffset.UtcNow;

        Assert.True(handler.Cancelled.Task.IsCompletedSuccessfully, "the handler was still running when the rescue requeued its job");
        Assert.True(await handler.Cancelled.Task < requeuedAt);
        Assert.Equal([new RescuedJob(uuid, JobStates.Pending)], rescued);
        using var response = await request.WaitAsync(Timeout);
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var row = await bed.RowAsync(uuid);
        Assert.Equal(JobStates.Pending, (string)row.state);
        Assert.Null(row.result);
        Assert.Contains("queue_worker_jobs_total{channel=\"root\",function=\"test.long.run\",outcome=\"lost\"} 1", await bed.MetricsTextAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stale_run_finishing_after_its_job_was_started_again_changes_nothing_and_releases_no_dependent()
    {
        var handler = new CancellableHandler();
        await using var bed = await WorkerTestBed.StartAsync(registerHandlers: r => r.Register("test.long.run", handler.RunAsync));
        var uuid = await bed.EnqueueAsync(new NewJob { ModelName = "test.long", MethodName = "run" });
        var child = await bed.EnqueueAsync(new NewJob { ModelName = "queue.demo", MethodName = "quick", DependsOn = [uuid] });
        var request = bed.RunJobAsync(uuid);
        await handler.Started.Task.WaitAsync(Timeout);

        // Meanwhile the job was requeued and another worker started it: a newer run owns the row.
        await bed.ExecuteAsync("UPDATE queue_job SET date_started = date_started + interval '5 seconds', worker_pid = 424242 WHERE uuid = @uuid", new { uuid });
        var before = await bed.RowAsync(uuid);
        handler.Finish.SetResult();
        using var response = await request.WaitAsync(Timeout);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var after = await bed.RowAsync(uuid);
        Assert.Equal(JobStates.Started, (string)after.state);
        Assert.Equal((DateTime)before.date_started, (DateTime)after.date_started);
        Assert.Equal(424242, (int)after.worker_pid);
        Assert.Null(after.date_done);
        Assert.Equal(JobStates.WaitDependencies, (string)(await bed.RowAsync(child)).state);
        Assert.Contains("queue_worker_jobs_total{channel=\"root\",function=\"test.long.run\",outcome=\"lost\"} 1", await bed.MetricsTextAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_start_waiting_behind_a_rescue_that_requeues_the_job_takes_nothing()
    {
        await using var race = await StartRaceAsync();
        await using var rescue = await race.Database.OpenConnectionAsync();
        await using var transaction = await rescue.BeginTransactionAsync();
        // The rescue's first step: the candidate row locked.
        Assert.Single(await rescue.QueryAsync<int>("SELECT id FROM queue_job WHERE uuid = @uuid FOR UPDATE", new { uuid = race.Uuid }, transaction));

        var start = race.Store.TryStartAsync(race.Worker, race.Uuid, DateTimeOffset.UtcNow, 4242, CancellationToken.None);
        await Eventually.UntilAsync(() => race.IsWaitingAsync(), Timeout, "the start waits for the rescue's row lock");
        await rescue.ExecuteAsync("UPDATE queue_job SET state = 'pending', date_enqueued = NULL WHERE uuid = @uuid", new { uuid = race.Uuid }, transaction);
        await transaction.CommitAsync();

        Assert.Null(await start.WaitAsync(Timeout));
        Assert.Equal(0L, await rescue.ExecuteScalarAsync<long>("SELECT count(*) FROM queue_job_lock"));
    }

    [Fact]
    public async Task A_rescue_pass_between_start_and_hold_only_starts_timing_the_job_again()
    {
        await using var race = await StartRaceAsync();
        // Seen dead (enqueued, never started) for a whole grace: the next pass would requeue it.
        Assert.Empty(await race.RescueAsync());
        race.Clock.Advance(Grace);

        var job = await race.Store.TryStartAsync(race.Worker, race.Uuid, DateTimeOffset.UtcNow, 4242, CancellationToken.None);
        Assert.NotNull(job);
        Assert.Empty(await race.RescueAsync());
        await using var transaction = await race.Worker.BeginTransactionAsync();
        Assert.True(await race.Store.HoldAsync(transaction, job, CancellationToken.None));
        race.Clock.Advance(Grace);

        Assert.Empty(await race.RescueAsync());
        Assert.Equal(JobStates.Started, await race.StateAsync());
    }

    [Fact]
    public async Task A_run_whose_free_lock_row_was_rescued_before_its_hold_does_not_prove_it_holds_it()
    {
        await using var race = await StartRaceAsync();
        var job = await race.Store.TryStartAsync(race.Worker, race.Uuid, DateTimeOffset.UtcNow, 4242, CancellationToken.None);
        Assert.NotNull(job);
        // The worker stalls between its start and its hold for longer than the grace.
        Assert.Empty(await race.RescueAsync());
        race.Clock.Advance(Grace);
        Assert.Equal([new RescuedJob(race.Uuid, JobStates.Pending)], await race.RescueAsync());

        await using var transaction = await race.Worker.BeginTransactionAsync();
        Assert.False(await race.Store.HoldAsync(transaction, job, CancellationToken.None));
    }

    [Fact]
    public async Task A_hold_waiting_behind_a_rescue_pass_that_keeps_the_job_proves_the_run()
    {
        await using var race = await StartRaceAsync();
        var job = await race.Store.TryStartAsync(race.Worker, race.Uuid, DateTimeOffset.UtcNow, 4242, CancellationToken.None);
        Assert.NotNull(job);
        await using var rescue = await race.Database.OpenConnectionAsync();
        await using var probe = await rescue.BeginTransactionAsync();
        // The rescue's probe holds the free lock row while it decides; it decides to wait (not yet a grace).
        Assert.Single(await rescue.QueryAsync<int>("SELECT id FROM queue_job_lock FOR UPDATE SKIP LOCKED", transaction: probe));

        await using var transaction = await race.Worker.BeginTransactionAsync();
        var hold = race.Store.HoldAsync(transaction, job, CancellationToken.None);
        await Eventually.UntilAsync(() => race.IsWaitingAsync(), Timeout, "the hold waits for the rescue's probe");
        await probe.CommitAsync();

        Assert.True(await hold.WaitAsync(Timeout));
    }

    [Fact]
    public async Task The_first_job_after_the_worker_sessions_were_cut_runs_on_a_fresh_connection()
    {
        await using var bed = await WorkerTestBed.StartAsync();
        using (var warm = await bed.RunJobAsync(await bed.EnqueueAsync(new NewJob { ModelName = "queue.demo", MethodName = "quick" })))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        // As a PostgreSQL restart does: the pooled, idle connections of the worker are dead.
        Assert.True(await bed.ScalarAsync<long>(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND application_name = @app",
            new { app = WorkerOptions.ApplicationName }) >= 1);
        var uuid = await bed.EnqueueAsync(new NewJob { ModelName = "queue.demo", MethodName = "quick" });
        using var response = await bed.RunJobAsync(uuid);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(JobStates.Done, (string)(await bed.RowAsync(uuid)).state);
    }

    private static async Task<Race> StartRaceAsync()
    {
        var server = await PostgresServer.SharedAsync();
        var database = await server.CreateDatabaseAsync();
        var worker = await database.OpenConnectionAsync();
        var schema = await SchemaDetector.DetectAsync(worker, CancellationToken.None);
        var uuid = await new JobEnqueuer(schema).EnqueueAsync(worker, new NewJob { ModelName = "queue.demo", MethodName = "slow" }, null, CancellationToken.None);
        await worker.ExecuteAsync("UPDATE queue_job SET state = 'enqueued', date_enqueued = (now() at time zone 'utc') - interval '1 minute' WHERE uuid = @uuid", new { uuid });
        var workerPid = await worker.ExecuteScalarAsync<int>("SELECT pg_backend_pid()");
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        return new Race(database, worker, workerPid, schema, new WorkerJobStore(schema), new DeadJobRescuer(clock, Grace, TimeSpan.FromMinutes(5), batchLimit: 100), clock, uuid);
    }

    /// <summary>One job, one worker session driving the store step by step, one rescuer on a fake clock.</summary>
    private sealed record Race(TestDatabase Database, NpgsqlConnection Worker, int WorkerPid, QueueJobSchema Schema, WorkerJobStore Store, DeadJobRescuer Rescuer, FakeTimeProvider Clock, string Uuid) : IAsyncDisposable
    {
        public async Task<IReadOnlyList<RescuedJob>> RescueAsync()
        {
            await using var connection = await Database.OpenConnectionAsync();
            return await Rescuer.RescueAsync(connection, Schema, lease: null, CancellationToken.None);
        }

        public async Task<string> StateAsync()
        {
            await using var connection = await Database.OpenConnectionAsync();
            return await connection.ExecuteScalarAsync<string>("SELECT state FROM queue_job WHERE uuid = @uuid", new { uuid = Uuid }) ?? "none";
        }

        public async Task<bool> IsWaitingAsync()
        {
            await using var connection = await Database.OpenConnectionAsync();
            return await connection.ExecuteScalarAsync<bool>("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = @pid", new { pid = WorkerPid });
        }

        public async ValueTask DisposeAsync()
        {
            await Worker.DisposeAsync();
            await Database.DisposeAsync();
        }
    }

    /// <summary>A handler that runs until told to finish, and records when it stopped because its token fired.</summary>
    private sealed class CancellableHandler
    {
        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Finish { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<DateTimeOffset> Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task<string?> RunAsync(JobContext job, CancellationToken cancellationToken)
        {
            Started.TrySetResult();
            try
            {
                await Finish.Task.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                Cancelled.TrySetResult(DateTimeOffset.UtcNow);
                throw;
            }

            return "finished";
        }
    }
}
