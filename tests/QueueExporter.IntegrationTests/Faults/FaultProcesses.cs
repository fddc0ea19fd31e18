using System.Globalization;
using QueueExporter.TestSupport;

namespace QueueExporter.IntegrationTests.Faults;

/// <summary>Starts the real runner and worker processes of the fault scenarios with test-sized timeouts.</summary>
public static class FaultProcesses
{
    /// <summary>The runner's log line for each runjob call it makes (OCA's wording).</summary>
    public const string Dispatching = "asking Odoo to run job";

    /// <summary>Logged once the runner leads a database and has loaded its jobs.</summary>
    public const string Leading = "queue job runner ready for db";

    /// <summary>Logged by a runner that found the leader lock taken.</summary>
    public const string StandingBy = "standing by";

    /// <summary>Seconds after enqueueing before a job without a live worker is found dead (OCA: 10).</summary>
    public const double DeadJobGraceSeconds = 2;

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A runner on <paramref name="database"/> calling <paramref name="workerUrl"/>; short rescue settings so
    /// that dead jobs come back within seconds. The standby retry interval is left at its default (5 s):
    /// the takeover promise is about the runner as shipped.
    /// </summary>
    public static QueueExporterProcess StartRunner(string name, TestDatabase database, Uri workerUrl, string channels = "root:4") =>
        QueueExporterProcess.Start(name, [
            "runner", "--database-url", database.Url, "--worker-url", workerUrl.ToString(), "--channels", channels,
            "--listen", "127.0.0.1:0",
            "--dead-job-grace", DeadJobGraceSeconds.ToString(CultureInfo.InvariantCulture), "--rescue-interval", "0.5",
        ]);

    /// <summary>Starts a runner and waits until it leads the database.</summary>
    public static async Task<QueueExporterProcess> StartLeaderAsync(string name, TestDatabase database, Uri workerUrl, string channels = "root:4")
    {
        var runner = StartRunner(name, database, workerUrl, channels);
        await runner.WaitForLineAsync(Leading, StartTimeout);
        return runner;
    }

    /// <summary>Starts a runner and waits until it has found the lock taken.</summary>
    public static async Task<QueueExporterProcess> StartStandbyAsync(string name, TestDatabase database, Uri workerUrl, string channels = "root:4")
    {
        var runner = StartRunner(name, database, workerUrl, channels);
        await runner.WaitForLineAsync(StandingBy, StartTimeout);
        return runner;
    }

    /// <summary>A real worker process with the demo handlers, logging each job's start; returns once it listens.</summary>
    public static async Task<(QueueExporterProcess Process, Uri BaseAddress)> StartWorkerAsync(string name, TestDatabase database)
    {
        var worker = QueueExporterProcess.Start(
            name,
            ["worker", "--database-url", database.Url, "--listen", "127.0.0.1:0", "--demo-handlers", "--log-format", "odoo",
             // Tuned to the runners' test grace, as a deployment must: a lost lock session stops a handler within it.
             "--dead-job-grace", DeadJobGraceSeconds.ToString(CultureInfo.InvariantCulture), "--lock-check-interval", "0.25", "--lock-check-timeout", "0.5"],
            WorkerLogReader.DebugJobLog);
        var line = await worker.WaitForLineAsync("worker listening on ", StartTimeout);
        var address = line.Text[(line.Text.IndexOf("worker listening on ", StringComparison.Ordinal) + "worker listening on ".Length)..].Split(',')[0];
        return (worker, new Uri(address));
    }
}
