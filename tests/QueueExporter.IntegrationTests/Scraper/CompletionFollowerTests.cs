using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Prometheus;
using QueueExporter.QueueJob.Schema;
using QueueExporter.Scraper;
using QueueExporter.Scraper.Database;
using QueueExporter.TestSupport;

namespace QueueExporter.IntegrationTests.Scraper;

public sealed class CompletionFollowerTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 5, 12, 0, 0, TimeSpan.Zero);

    public static TheoryData<QueueJobShape> Shapes => [QueueJobShape.Odoo12Old, QueueJobShape.Odoo13, QueueJobShape.Odoo14To17, QueueJobShape.Odoo18];

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task Completions_durations_and_waits_are_counted_once_each(QueueJobShape shape)
    {
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateDatabaseAsync(shape);
        var writer = await QueueJobTableWriter.OpenAsync(database);
        var registry = Metrics.NewCustomRegistry();
        await using var follower = NewFollower(database, registry, new FakeTimeProvider(Start));
        var ct = CancellationToken.None;
        var root = await writer.EnqueueAsync(5);
        var mail = await writer.EnqueueAsync(2, "root.mail");
        foreach (var uuid in root.Concat(mail))
        {
            await writer.SetCreatedAsync(uuid, Start);
        }

        Assert.True(await follower.ReconcileAsync(ct));
        Assert.Equal(7, follower.TrackedJobs);

        // Seen through notifications, some of them repeated.
        await RunToDoneAsync(writer, root[0], startedAt: Start.AddSeconds(1), execTime: 2);
        await follower.HandleChangedAsync([root[0]], ct);
        await follower.HandleChangedAsync([root[0], root[0]], ct);
        await writer.StartedAsync(root[1], Start.AddSeconds(4));
        await writer.FailedAsync(root[1], "odoo.exceptions.UserError");
        await follower.HandleChangedAsync([root[1]], ct);

        // Missed by notifications: found by the reconciliation, and not again by a late notification.
        await RunToDoneAsync(writer, root[2], startedAt: Start.AddSeconds(2), execTime: 3);
        await RunToDoneAsync(writer, mail[0], startedAt: Start.AddSeconds(6), execTime: 0.5);
        Assert.True(await follower.ReconcileAsync(ct));
        await follower.HandleChangedAsync([root[2], mail[0]], ct);
        Assert.True(await follower.ReconcileAsync(ct));

        // Inserted and finished between two reads: never seen active, still counted.
        var quick = (await writer.EnqueueAsync(1))[0];
        await writer.SetCreatedAsync(quick, Start.AddSeconds(10));
        await RunToDoneAsync(writer, quick, startedAt: Start.AddSeconds(11), execTime: 1);
        await follower.HandleChangedAsync([quick], ct);

        // A failed job requeued and done completes a second time.
        await writer.RequeuedAsync(root[1]);
        await follower.HandleChangedAsync([root[1]], ct);
        await RunToDoneAsync(writer, root[1], startedAt: Start.AddSeconds(20), execTime: 4);
        await follower.HandleChangedAsync([root[1]], ct);

        var cancelled = writer.Schema.States.Contains(JobStates.Cancelled);
        if (cancelled)
        {
            await writer.CancelledAsync(root[3], Start.AddSeconds(30));
            await follower.HandleChangedAsync([root[3]], ct);
        }

        var metrics = await ExportedMetrics.ReadAsync(registry);
        double Sum(string name, params (string, string)[] labels) =>
            metrics.Samples(name, [("database", database.Name), .. labels]).Sum(s => s.Value);
        Assert.Equal(4, Sum("queue_job_completed_total", ("channel", "root"), ("state", JobStates.Done)));
        Assert.Equal(1, Sum("queue_job_completed_total", ("channel", "root.mail"), ("state", JobStates.Done)));
        Assert.Equal(1, Sum("queue_job_completed_total", ("state", JobStates.Failed)));
        Assert.Equal(cancelled ? 1 : 0, Sum("queue_job_completed_total", ("state", JobStates.Cancelled)));
        Assert.Equal(5, Sum("queue_job_duration_seconds_count"));
        Assert.Equal(2 + 3 + 0.5 + 1 + 4, Sum("queue_job_duration_seconds_sum"), 6);

        // Waits from runnable to started: 1, 4 (the failure), 2, 6, 1 (quick: created at +10), 20.
        Assert.Equal(6, Sum("queue_job_wait_seconds_count"));
        Assert.Equal(1 + 4 + 2 + 6 + 1 + 20, Sum("queue_job_wait_seconds_sum"), 6);
        var exception = writer.Schema.HasColumn("exc_name") ? "odoo.exceptions.UserError" : "unknown";
        Assert.Equal(1, Sum("queue_job_failures_total", ("exception", exception)));

        // Every job here is res.partner.write (QueueJobTableWriter): the same totals per function.
        Assert.Equal(5, Sum("queue_job_function_completed_total", ("function", "res.partner.write"), ("state", JobStates.Done)));
        Assert.Equal(1, Sum("queue_job_function_completed_total", ("function", "res.partner.write"), ("state", JobStates.Failed)));
        Assert.Equal(5, Sum("queue_job_function_duration_seconds_count", ("function", "res.partner.write")));
    }

    [Fact]
    public async Task Notifications_alone_count_completions_as_they_happen()
    {
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateDatabaseAsync();
        var writer = await QueueJobTableWriter.OpenAsync(database);
        var registry = Metrics.NewCustomRegistry();
        await using var follower = NewFollower(database, registry, TimeProvider.System);
        using var stop = new CancellationTokenSource();
        var running = follower.RunAsync(stop.Token);

        var jobs = await writer.EnqueueAsync(3);
        await Eventually.UntilAsync(() => follower.TrackedJobs == 3, TimeSpan.FromSeconds(15), "the follower saw the inserted jobs");
        foreach (var uuid in jobs)
        {
            await RunToDoneAsync(writer, uuid, DateTimeOffset.UtcNow, execTime: 0.25);
        }

        await Eventually.UntilAsync(
            async () => (await ExportedMetrics.ReadAsync(registry)).Value(
                "queue_job_completed_total", ("database", database.Name), ("channel", "root"), ("state", JobStates.Done)) == 3,
            TimeSpan.FromSeconds(15),
            "three done jobs are counted from their notifications");
        Assert.True(await follower.ReconcileAsync(CancellationToken.None));
        var metrics = await ExportedMetrics.ReadAsync(registry);
        Assert.Equal(3, metrics.Value("queue_job_completed_total", ("database", database.Name), ("channel", "root"), ("state", JobStates.Done)));
        Assert.Equal(3, metrics.Value("queue_job_duration_seconds_count", ("database", database.Name), ("channel", "root")));

        await stop.CancelAsync();
        await running;
    }

    [Fact]
    public async Task The_unfinished_jobs_are_read_whole_across_batches()
    {
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateDatabaseAsync();
        var writer = await QueueJobTableWriter.OpenAsync(database);
        var unfinished = await writer.EnqueueAsync(5);
        var finished = await writer.EnqueueAsync(2);
        foreach (var uuid in finished)
        {
            await RunToDoneAsync(writer, uuid, Start, execTime: 1);
        }

        await writer.StartedAsync(unfinished[0], Start);
        await using var connection = await database.OpenConnectionAsync();

        // Five rows in batches of two: three FETCHes, the last one short.
        var read = await ChangedJobsQuery.ReadUnfinishedAsync(connection, CancellationToken.None, batchSize: 2);

        Assert.Equal(unfinished.Order(StringComparer.Ordinal), read.Select(j => j.Uuid).Order(StringComparer.Ordinal));
        Assert.Equal(JobStates.Started, read.Single(j => j.Uuid == unfinished[0]).State);
    }

    [Fact]
    public async Task A_reconciliation_that_times_out_keeps_what_it_knew_and_leaves_its_last_success_time_behind()
    {
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateDatabaseAsync();
        var writer = await QueueJobTableWriter.OpenAsync(database);
        var registry = Metrics.NewCustomRegistry();
        var clock = new FakeTimeProvider(Start);
        await using var follower = new CompletionFollower(
            database.Name,
            database.Endpoint,
            new ScraperOptions { StatementTimeout = TimeSpan.FromMilliseconds(300), ReconciliationInterval = TimeSpan.FromMinutes(10) },
            new ScraperMetrics(registry),
            clock,
            NullLoggerFactory.Instance);
        var jobs = await writer.EnqueueAsync(3);
        Assert.True(await follower.ReconcileAsync(CancellationToken.None));
        double? Value(ExportedMetrics metrics, string name, params (string, string)[] labels) =>
            metrics.Value(name, [("database", database.Name), .. labels]);
        var reconciled = ("what", CompletionFollower.UnfinishedReconciliation);
        Assert.Equal(Start.ToUnixTimeSeconds(), Value(await ExportedMetrics.ReadAsync(registry), "queue_job_reconcile_last_success_timestamp_seconds", reconciled));

        // Finished unseen (no notification handled), then the table is locked past the timeout.
        await RunToDoneAsync(writer, jobs[0], Start.AddSeconds(1), execTime: 1);
        clock.Advance(TimeSpan.FromMinutes(1));
        await using (var blocker = await database.OpenConnectionAsync())
        {
            await using var transaction = await blocker.BeginTransactionAsync();
            await using (var lockTable = new Npgsql.NpgsqlCommand("LOCK TABLE queue_job IN ACCESS EXCLUSIVE MODE", blocker, transaction))
            {
                await lockTable.ExecuteNonQueryAsync();
            }

            Assert.False(await follower.ReconcileAsync(CancellationToken.None));
            var during = await ExportedMetrics.ReadAsync(registry);
            Assert.Equal(Start.ToUnixTimeSeconds(), Value(during, "queue_job_reconcile_last_success_timestamp_seconds", reconciled));
            Assert.Equal(3, follower.TrackedJobs);
        }

        // The job it still remembered as active is found completed by the next reconciliation.
        Assert.True(await follower.ReconcileAsync(CancellationToken.None));
        var after = await ExportedMetrics.ReadAsync(registry);
        Assert.Equal(Start.AddMinutes(1).ToUnixTimeSeconds(), Value(after, "queue_job_reconcile_last_success_timestamp_seconds", reconciled));
        Assert.Equal(1, Value(after, "queue_job_completed_total", ("channel", "root"), ("state", JobStates.Done)));
        Assert.Equal(2, follower.TrackedJobs);
    }

    private static async Task RunToDoneAsync(QueueJobTableWriter writer, string uuid, DateTimeOffset startedAt, double execTime)
    {
        await writer.EnqueuedAsync(uuid, startedAt.AddMilliseconds(-100));
        await writer.StartedAsync(uuid, startedAt);
        await writer.DoneAsync(uuid, startedAt.AddSeconds(execTime), execTime);
    }

    private static CompletionFollower NewFollower(TestDatabase database, CollectorRegistry registry, TimeProvider clock) => new(
        database.Name,
        database.Endpoint,
        new ScraperOptions { StatementTimeout = TimeSpan.FromSeconds(5), ReconciliationInterval = TimeSpan.FromMinutes(10) },
        new ScraperMetrics(registry),
        clock,
        NullLoggerFactory.Instance);
}
