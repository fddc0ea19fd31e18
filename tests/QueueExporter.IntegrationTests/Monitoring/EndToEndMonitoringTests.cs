using System.Globalization;
using Npgsql;
using QueueExporter.IntegrationTests.Cli;
using QueueExporter.TestSupport;

namespace QueueExporter.IntegrationTests.Monitoring;

/// <summary>
/// The monitoring as it runs in production: the real runner, worker and scraper on a real
/// database, scraped by the real Prometheus with the shipped configuration and rules (run 60 times
/// faster: see <see cref="PrometheusTestServer"/>), alerting the real Alertmanager with the
/// shipped routing.
/// </summary>
public sealed class EndToEndMonitoringTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    // Series that exist only after an event these tests do not provoke (a dead job). Their metric
    // family must still be declared by the exporter (prometheus-net writes # TYPE without samples).
    private static readonly Dictionary<string, string> EventOnlyMetrics = new(StringComparer.Ordinal)
    {
        ["queue_runner_rescued_jobs_total"] = "queue-exporter-runner",
        // Only a fleet hands databases over; the end-to-end runner is a single one.
        ["queue_runner_handovers_total"] = "queue-exporter-runner",
        // A series per channel appears with its first retried job; the demo stream may have none yet.
        ["queue_job_retries_total"] = "queue-exporter-scraper",
    };

    [Fact]
    public async Task Every_dashboard_and_rule_selector_matches_live_series_of_the_real_exporters()
    {
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateDatabaseAsync();
        var logDirectory = Directory.CreateTempSubdirectory("queue-exporter-odoo-log-");
        var logFile = Path.Combine(logDirectory.FullName, "odoo.log");
        await File.WriteAllTextAsync(logFile, "");
        try
        {
            await using var exporters = new ExporterProcesses();
            await exporters.StartWorkerAsync(database.Url);
            await exporters.StartRunnerAsync(database.Url, $"http://{exporters.Targets["queue-exporter-worker"]}", "root:2,root.mail:1");
            await exporters.StartScraperAsync(database.Url, logFile);

            // Work of every kind: completions, a failure with its exception, Odoo log lines for the
            // log tailer, and a lost database connection for the runner to recover.
            await EnqueueAsync(database, "queue.demo.quick", "root", 3);
            await EnqueueAsync(database, "queue.demo.fail", "root.mail", 2);
            await File.AppendAllTextAsync(logFile, string.Join('\n',
                $"{DateTime.UtcNow:yyyy-MM-dd HH:mm:ss,fff} 4242 INFO ? odoo.addons.queue_job.jobrunner.runner: queue job runner ready for db {database.Name}",
                $"{DateTime.UtcNow:yyyy-MM-dd HH:mm:ss,fff} 4242 INFO ? odoo.addons.queue_job.jobrunner.runner: asking Odoo to run job 76c3b1a8-0000-4000-8000-00000000026d on db {database.Name}",
                "") );
            await TerminateRunnerConnectionAsync(database);
            await Eventually.UntilAsync(async () =>
            {
                var scraper = await exporters.MetricsTextAsync("queue-exporter-scraper");
                var runner = await exporters.MetricsTextAsync("queue-exporter-runner");
                return scraper.Contains("queue_job_failures_total{", StringComparison.Ordinal)
                    && scraper.Contains("state=\"done\"", StringComparison.Ordinal)
                    && scraper.Contains("queue_job_log_events_total{", StringComparison.Ordinal)
                    && runner.Contains("queue_runner_db_reconnects_total{", StringComparison.Ordinal);
            }, Timeout, $"the exporters report completions, a failure, log events and a reconnection:\n{exporters.Output}");

            // The documented names (DocumentedMetrics, which the static checks hold dashboards and
            // rules to) are exactly what the exporters declare.
            var declared = string.Join('\n', await Task.WhenAll(exporters.Targets.Keys.Select(exporters.MetricsTextAsync)));
            var undeclared = DocumentedMetrics.Names
                .Where(name => name != "up" && !declared.Contains($"# TYPE {name} ", StringComparison.Ordinal))
                .ToList();
            Assert.Empty(undeclared);

            await using var prometheus = await PrometheusTestServer.StartAsync(exporters.Targets);
            var expressions = GeneratedDashboards.AllQueries().Select(q => (Where: q.Describe(), Expr: GrafanaVariables.Expand(q.Expr)))
                .Concat(PrometheusRuleFiles.LoadAll().Select(r => (Where: r.Describe(), r.Expr)))
                .ToList();

            IReadOnlyList<string> problems = [];
            try
            {
                await Eventually.UntilAsync(async () =>
                {
                    problems = await UnmatchedSelectorsAsync(prometheus, exporters, expressions);
                    return problems.Count == 0;
                }, Timeout, "every selector matches live series");
            }
            catch (TimeoutException)
            {
                // Fall through to the assertion, which lists what is still empty or rejected.
            }

            Assert.Empty(problems);
        }
        finally
        {
            logDirectory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Stopping_the_runner_fires_QueueJobRunnerDown_and_Alertmanager_routes_it_to_the_pager()
    {
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateDatabaseAsync();
        await using var exporters = new ExporterProcesses();
        await exporters.StartWorkerAsync(database.Url);
        await exporters.StartRunnerAsync(database.Url, $"http://{exporters.Targets["queue-exporter-worker"]}", "root:2");
        await exporters.StartScraperAsync(database.Url);
        await using var alertmanager = await AlertmanagerTestServer.StartAsync();
        await using var prometheus = await PrometheusTestServer.StartAsync(exporters.Targets, alertmanager.HostAndPort);

        // Before the first scrape the heartbeat is absent, and with for: shortened to 2 s the alert
        // may fire at start-up: wait until the live runner has cleared it, everywhere.
        await Eventually.UntilAsync(async () =>
            (await prometheus.QueryAsync("queue_runner_heartbeat_timestamp_seconds")).SeriesCount == 1
            && !(await prometheus.AlertsAsync("firing")).Any(alert => alert["alertname"] == "QueueJobRunnerDown")
            && !(await prometheus.AlertsAsync("pending")).Any(alert => alert["alertname"] == "QueueJobRunnerDown")
            && (await alertmanager.AlertsAsync("QueueJobRunnerDown")).Count == 0,
            Timeout, $"Prometheus scrapes the live runner and no QueueJobRunnerDown is active:\n{prometheus.Output}");

        await exporters.KillAsync("queue-exporter-runner");

        IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, IReadOnlyList<string> Receivers)> alerts = [];
        await Eventually.UntilAsync(async () =>
        {
            alerts = await alertmanager.AlertsAsync("QueueJobRunnerDown");
            return alerts.Count > 0;
        }, Timeout, $"QueueJobRunnerDown reaches Alertmanager:\n{prometheus.Output}\n{alertmanager.Output}");
        var (labels, receivers) = alerts[0];
        Assert.Equal("critical", labels["severity"]);
        Assert.Equal("heartbeat_absent", labels["cause"]);
        Assert.Equal(["queue-oncall-pager"], receivers);
    }

    [Fact]
    public async Task A_channel_with_pending_jobs_and_no_worker_fires_QueueJobQueueStuck()
    {
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateDatabaseAsync();
        await using var exporters = new ExporterProcesses();
        // No worker: the runner's calls are refused, and the job goes back to pending each time.
        await exporters.StartRunnerAsync(database.Url, $"http://127.0.0.1:{LoopbackPort.Free()}", "root:1,root.stuck:1");
        await exporters.StartScraperAsync(database.Url);
        await using var alertmanager = await AlertmanagerTestServer.StartAsync();
        await using var prometheus = await PrometheusTestServer.StartAsync(exporters.Targets, alertmanager.HostAndPort);

        await EnqueueAsync(database, "queue.demo.quick", "root.stuck", 1);

        IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, IReadOnlyList<string> Receivers)> alerts = [];
        await Eventually.UntilAsync(async () =>
        {
            alerts = await alertmanager.AlertsAsync("QueueJobQueueStuck");
            return alerts.Count > 0;
        }, Timeout, $"QueueJobQueueStuck reaches Alertmanager:\n{prometheus.Output}\n{alertmanager.Output}\n{exporters.Output}");
        // Either rule may see it first (cause oldest_pending_age or no_progress); both page.
        Assert.All(alerts, alert =>
        {
            Assert.Equal(database.Name, alert.Labels["database"]);
            Assert.Equal("root.stuck", alert.Labels["channel"]);
            Assert.Equal("critical", alert.Labels["severity"]);
            Assert.Equal(["queue-oncall-pager"], alert.Receivers);
        });
    }

    private static async Task<IReadOnlyList<string>> UnmatchedSelectorsAsync(
        PrometheusTestServer prometheus, ExporterProcesses exporters, IReadOnlyList<(string Where, string Expr)> expressions)
    {
        var problems = new List<string>();
        foreach (var (where, expr) in expressions)
        {
            var result = await prometheus.QueryAsync(expr);
            if (!result.Accepted)
            {
                problems.Add($"{where}: rejected: {result.Error}");
                continue;
            }

            foreach (var selector in PromQlSelectors.Extract(expr))
            {
                if ((await prometheus.QueryAsync($"count({selector})")).SeriesCount > 0)
                {
                    continue;
                }

                var metric = DocumentedMetrics.Resolve(PromQlMetricNames.Extract(selector).Single()) ?? "";
                if (EventOnlyMetrics.TryGetValue(metric, out var job)
                    && (await exporters.MetricsTextAsync(job)).Contains($"# TYPE {metric} ", StringComparison.Ordinal))
                {
                    continue;
                }

                problems.Add($"{where}: {selector} matches no series");
            }
        }

        return problems;
    }

    private static async Task EnqueueAsync(TestDatabase database, string function, string channel, int count)
    {
        var (exitCode, stdout, stderr) = await QueueExporterCli.RunAsync(
            ["enqueue", "--database-url", database.Url, "--function", function, "--channel", channel, "--count", count.ToString(CultureInfo.InvariantCulture)]);
        Assert.True(exitCode == 0, $"enqueue failed: {stdout} {stderr}");
    }

    /// <summary>Ends the runner's leader-lock (and LISTEN) session, as a failover or a network cut would.</summary>
    private static async Task TerminateRunnerConnectionAsync(TestDatabase database)
    {
        await using var connection = await database.OpenConnectionAsync();
        await Eventually.UntilAsync(async () =>
        {
            await using var command = new NpgsqlCommand(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
                connection);
            return (long)(await command.ExecuteScalarAsync())! > 0;
        }, Timeout, "the runner holds its leader lock, and its session is terminated");
    }
}
