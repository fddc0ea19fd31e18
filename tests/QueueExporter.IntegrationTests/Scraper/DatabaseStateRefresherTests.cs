using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Prometheus;
using QueueExporter.QueueJob.Schema;
using QueueExporter.Scraper;
using QueueExporter.Scraper.Database;
using QueueExporter.TestSupport;

namespace QueueExporter.IntegrationTests.Scraper;

public sealed class DatabaseStateRefresherTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 5, 12, 0, 0, TimeSpan.Zero);

    public static TheoryData<QueueJobShape> Shapes => [QueueJobShape.Odoo12Old, QueueJobShape.Odoo13, QueueJobShape.Odoo14To17, QueueJobShape.Odoo18];

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task Job_gauges_equal_a_direct_sql_count_after_inserts_and_state_changes(QueueJobShape shape)
    {
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateDatabaseAsync(shape);
        var writer = await QueueJobTableWriter.OpenAsync(database);
        var registry = Metrics.NewCustomRegistry();
        var metrics = new ScraperMetrics(registry);
        await using var refresher = NewRefresher(database, metrics, TimeProvider.System);
        await using var totals = NewTotals(database, metrics);

        var root = await writer.EnqueueAsync(6);
        var mail = await writer.EnqueueAsync(4, "root.mail");
        await writer.EnqueueAsync(2, "root.mail", eta: DateTimeOffset.UtcNow.AddDays(1));
        await writer.EnqueuedAsync(root[1], Now.AddSeconds(-20));
        await writer.StartedAsync(root[2], Now.AddSeconds(-40));
        await writer.DoneAsync(root[3], Now.AddSeconds(-5), 1.0);
        await writer.FailedAsync(root[4], "odoo.exceptions.UserError");
        await writer.DoneAsync(mail[0], Now.AddSeconds(-5), 1.0);
        Assert.True(await refresher.RefreshAsync(CancellationToken.None));
        Assert.True(await totals.RefreshAsync(CancellationToken.None));
        await AssertGaugesMatchSqlAsync(registry, database, writer);

        // A second round of changes, as a live table would see between two refreshes.
        await writer.EnqueueAsync(3, "root.edi");
        await writer.DoneAsync(root[1], Now.AddSeconds(-1), 2.0);
        await writer.StartedAsync(mail[1], Now.AddSeconds(-3));
        if (writer.Schema.States.Contains(JobStates.Cancelled))
        {
            await writer.CancelledAsync(mail[2], Now.AddSeconds(-1));
        }

        Assert.True(await refresher.RefreshAsync(CancellationToken.None));
        Assert.True(await totals.RefreshAsync(CancellationToken.None));
        await AssertGaugesMatchSqlAsync(registry, database, writer);
    }

    [Fact]
    public async Task The_frequent_refresh_exports_only_unfinished_states()
    {
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateDatabaseAsync();
        var writer = await QueueJobTableWriter.OpenAsync(database);
        var jobs = await writer.EnqueueAsync(4);
        await writer.DoneAsync(jobs[0], Now, 1);
        await writer.FailedAsync(jobs[1], "odoo.exceptions.UserError");
        await writer.CancelledAsync(jobs[2], Now);
        var registry = Metrics.NewCustomRegistry();
        await using var refresher = NewRefresher(database, registry);

        Assert.True(await refresher.RefreshAsync(CancellationToken.None));

        // Done, cancelled and failed are the terminal loop's: none of them comes from the refresh.
        var metrics = await ExportedMetrics.ReadAsync(registry);
        Assert.Equal(
            [JobStates.Enqueued, JobStates.Pending, JobStates.Started, JobStates.WaitDependencies],
            metrics.Samples("queue_job_jobs", ("database", database.Name)).Select(s => s.Labels["state"]).Distinct().Order(StringComparer.Ordinal));
        Assert.Equal(1, metrics.Value("queue_job_jobs", ("database", database.Name), ("channel", "root"), ("state", JobStates.Pending)));
    }

    [Fact]
    public async Task Oldest_ages_measure_runnable_pending_enqueued_and_started_jobs()
    {
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateDatabaseAsync();
        var writer = await QueueJobTableWriter.OpenAsync(database);
        var registry = Metrics.NewCustomRegistry();
        await using var refresher = NewRefresher(database, registry);
        var jobs = await writer.EnqueueAsync(4);
        var notYetRunnable = await writer.EnqueueAsync(1, eta: Now.AddHours(1));
        foreach (var uuid in jobs)
        {
            await writer.SetCreatedAsync(uuid, Now.AddSeconds(-10));
        }

        await writer.SetCreatedAsync(jobs[0], Now.AddSeconds(-300));
        await writer.SetCreatedAsync(notYetRunnable[0], Now.AddSeconds(-900));
        await writer.EnqueuedAsync(jobs[1], Now.AddSeconds(-20));
        await writer.StartedAsync(jobs[2], Now.AddSeconds(-40));

        Assert.True(await refresher.RefreshAsync(CancellationToken.None));

        var metrics = await ExportedMetrics.ReadAsync(registry);
        double? Age(string state) => metrics.Value("queue_job_oldest_age_seconds", ("database", database.Name), ("channel", "root"), ("state", state));
        Assert.Equal(300, Age(JobStates.Pending));
        Assert.Equal(20, Age(JobStates.Enqueued));
        Assert.Equal(40, Age(JobStates.Started));
    }

    [Fact]
    public async Task A_stopped_database_reports_down_while_another_keeps_reporting_and_it_comes_back()
    {
        await using var dedicated = await PostgresServer.StartDedicatedAsync();
        await using var stopping = await dedicated.CreateDatabaseAsync();
        var shared = await PostgresServer.SharedAsync();
        await using var steady = await shared.CreateDatabaseAsync();
        var registry = Metrics.NewCustomRegistry();
        var metrics = new ScraperMetrics(registry);
        await using var stoppingRefresher = NewRefresher(stopping, metrics, TimeProvider.System);
        await using var steadyRefresher = NewRefresher(steady, metrics, TimeProvider.System);
        await (await QueueJobTableWriter.OpenAsync(stopping)).EnqueueAsync(2);
        Assert.True(await stoppingRefresher.RefreshAsync(CancellationToken.None));
        Assert.Equal(1, Up(await ExportedMetrics.ReadAsync(registry), stopping));

        await dedicated.StopAsync();
        Assert.False(await stoppingRefresher.RefreshAsync(CancellationToken.None));
        Assert.True(await steadyRefresher.RefreshAsync(CancellationToken.None));

        var down = await ExportedMetrics.ReadAsync(registry);
        Assert.Equal(0, Up(down, stopping));
        Assert.Equal(1, down.Value("queue_job_scrape_errors_total", ("database", stopping.Name)));
        Assert.Equal(2, down.Value("queue_job_jobs", ("database", stopping.Name), ("channel", "root"), ("state", JobStates.Pending)));
        Assert.Equal(1, Up(down, steady));

        await dedicated.StartAsync();
        await Eventually.UntilAsync(() => stoppingRefresher.RefreshAsync(CancellationToken.None), TimeSpan.FromSeconds(30), "the restarted database is read again");
        var back = await ExportedMetrics.ReadAsync(registry);
        Assert.Equal(1, Up(back, stopping));
        Assert.Equal(2, back.Value("queue_job_jobs", ("database", stopping.Name), ("channel", "root"), ("state", JobStates.Pending)));
    }

    [Fact]
    public async Task A_refresh_exceeding_its_timeout_keeps_the_gauges_and_leaves_the_last_success_time_behind()
    {
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateDatabaseAsync();
        var writer = await QueueJobTableWriter.OpenAsync(database);
        await writer.EnqueueAsync(3);
        var registry = Metrics.NewCustomRegistry();
        var clock = new FakeTimeProvider(Now);
        await using var refresher = new DatabaseStateRefresher(
            database.Name,
            database.Endpoint,
            new ScraperOptions { StatementTimeout = TimeSpan.FromMilliseconds(300) },
            new ScraperMetrics(registry),
            clock,
            NullLogger<DatabaseStateRefresher>.Instance);
        Assert.True(await refresher.RefreshAsync(CancellationToken.None));

        clock.Advance(TimeSpan.FromMinutes(1));
        await using (var blocker = await database.OpenConnectionAsync())
        {
            // The table's strongest lock makes the refresh wait until its statement timeout.
            await using var transaction = await blocker.BeginTransactionAsync();
            await using (var lockTable = new Npgsql.NpgsqlCommand("LOCK TABLE queue_job IN ACCESS EXCLUSIVE MODE", blocker, transaction))
            {
                await lockTable.ExecuteNonQueryAsync();
            }

            Assert.False(await refresher.RefreshAsync(CancellationToken.None));
        }

        var stale = await ExportedMetrics.ReadAsync(registry);
        Assert.Equal(0, Up(stale, database));
        Assert.Equal(3, stale.Value("queue_job_jobs", ("database", database.Name), ("channel", "root"), ("state", JobStates.Pending)));
        Assert.Equal(Now.ToUnixTimeSeconds(), stale.Value("queue_job_scrape_last_success_timestamp_seconds", ("database", database.Name)));

        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.True(await refresher.RefreshAsync(CancellationToken.None));
        var fresh = await ExportedMetrics.ReadAsync(registry);
        Assert.Equal(1, Up(fresh, database));
        Assert.Equal(Now.AddMinutes(2).ToUnixTimeSeconds(), fresh.Value("queue_job_scrape_last_success_timestamp_seconds", ("database", database.Name)));
    }

    [Fact]
    public async Task A_runner_holding_the_leader_lock_counts_as_a_runner_session()
    {
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateDatabaseAsync();
        var registry = Metrics.NewCustomRegistry();
        await using var refresher = NewRefresher(database, registry);
        Assert.True(await refresher.RefreshAsync(CancellationToken.None));
        Assert.Equal(0, (await ExportedMetrics.ReadAsync(registry)).Value("queue_job_runner_sessions", ("database", database.Name)));

        await using var runner = await database.OpenConnectionAsync();
        await using (var lockCommand = new Npgsql.NpgsqlCommand("SELECT pg_try_advisory_lock(2293787760715711918)", runner))
        {
            Assert.True((bool)(await lockCommand.ExecuteScalarAsync())!);
        }

        Assert.True(await refresher.RefreshAsync(CancellationToken.None));
        Assert.Equal(1, (await ExportedMetrics.ReadAsync(registry)).Value("queue_job_runner_sessions", ("database", database.Name)));
    }

    [Fact]
    public async Task A_session_listening_on_queue_job_counts_as_a_runner_session_but_the_scrapers_own_do_not()
    {
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateDatabaseAsync();
        var registry = Metrics.NewCustomRegistry();
        await using var refresher = NewRefresher(database, registry);
        await using var ownListener = new Npgsql.NpgsqlConnection(
            ScrapeConnections.For(database.Endpoint, database.Name, TimeSpan.FromSeconds(5), ScrapeConnections.ListenerApplicationName));
        await ownListener.OpenAsync();
        await using (var listen = new Npgsql.NpgsqlCommand("LISTEN queue_job", ownListener))
        {
            await listen.ExecuteNonQueryAsync();
        }

        Assert.True(await refresher.RefreshAsync(CancellationToken.None));
        Assert.Equal(0, (await ExportedMetrics.ReadAsync(registry)).Value("queue_job_runner_sessions", ("database", database.Name)));

        await using var oldRunner = await database.OpenConnectionAsync();
        await using (var listen = new Npgsql.NpgsqlCommand("LISTEN queue_job", oldRunner))
        {
            await listen.ExecuteNonQueryAsync();
        }

        Assert.True(await refresher.RefreshAsync(CancellationToken.None));
        Assert.Equal(1, (await ExportedMetrics.ReadAsync(registry)).Value("queue_job_runner_sessions", ("database", database.Name)));
    }

    [Fact]
    public async Task The_refresh_says_whether_the_database_has_the_monitoring_index()
    {
        var server = await PostgresServer.SharedAsync();
        await using var without = await server.CreateDatabaseAsync();
        await using var with = await server.CreateDatabaseAsync();
        await using (var connection = await with.OpenConnectionAsync())
        {
            await SchemaInstaller.InstallMonitoringIndexAsync(connection, CancellationToken.None);
        }

        var registry = Metrics.NewCustomRegistry();
        var metrics = new ScraperMetrics(registry);
        await using var withoutRefresher = NewRefresher(without, metrics);
        await using var withRefresher = NewRefresher(with, metrics);
        Assert.True(await withoutRefresher.RefreshAsync(CancellationToken.None));
        Assert.True(await withRefresher.RefreshAsync(CancellationToken.None));

        var exported = await ExportedMetrics.ReadAsync(registry);
        Assert.Equal(0, exported.Value("queue_job_scrape_monitoring_index", ("database", without.Name)));
        Assert.Equal(1, exported.Value("queue_job_scrape_monitoring_index", ("database", with.Name)));
    }

    private static async Task AssertGaugesMatchSqlAsync(CollectorRegistry registry, TestDatabase database, QueueJobTableWriter writer)
    {
        var metrics = await ExportedMetrics.ReadAsync(registry);
        var counts = await writer.CountAsync();
        foreach (var channel in counts.Keys.Select(k => k.Channel).Distinct())
        {
            foreach (var state in writer.Schema.States)
            {
                var exported = metrics.Value("queue_job_jobs", ("database", database.Name), ("channel", channel), ("state", state));
                Assert.True(
                    counts.GetValueOrDefault((channel, state)) == exported,
                    $"{channel}/{state}: SQL says {counts.GetValueOrDefault((channel, state))}, exported {exported}");
            }
        }

        Assert.DoesNotContain(metrics.Samples("queue_job_jobs", ("database", database.Name)), s => !writer.Schema.States.Contains(s.Labels["state"]));
    }

    private static TerminalTotalsRefresher NewTotals(TestDatabase database, ScraperMetrics metrics, ScraperOptions? options = null) => new(
        database.Name,
        database.Endpoint,
        options ?? new ScraperOptions(),
        metrics,
        TimeProvider.System,
        NullLogger<TerminalTotalsRefresher>.Instance);

    private static double? Up(ExportedMetrics metrics, TestDatabase database) =>
        metrics.Value("queue_job_scrape_up", ("database", database.Name));

    private static DatabaseStateRefresher NewRefresher(TestDatabase database, CollectorRegistry registry, TimeProvider? clock = null) =>
        NewRefresher(database, new ScraperMetrics(registry), clock);

    // The fake clock stands still, so each refresh with it sees the same "now".
    private static DatabaseStateRefresher NewRefresher(TestDatabase database, ScraperMetrics metrics, TimeProvider? clock = null) => new(
        database.Name,
        database.Endpoint,
        new ScraperOptions { StatementTimeout = TimeSpan.FromSeconds(2) },
        metrics,
        clock ?? new FakeTimeProvider(Now),
        NullLogger<DatabaseStateRefresher>.Instance);
}
