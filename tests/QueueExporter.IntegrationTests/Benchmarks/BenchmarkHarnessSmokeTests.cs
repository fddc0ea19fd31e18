using System.Diagnostics;
using System.Text.Json;

namespace QueueExporter.IntegrationTests.Benchmarks;

/// <summary>
/// The benchmark harness (tests/QueueExporter.Benchmarks, a console program that ./test.sh does not
/// run) in its smallest mode: every scenario end to end on a real durable cluster, a few hundred jobs
/// each. It asserts that the harness works and its figures are sane, never how fast anything is:
/// timings on a shared 2-core machine are not a test.
/// </summary>
public sealed class BenchmarkHarnessSmokeTests
{
    [Fact]
    public async Task Quick_run_of_every_scenario_finishes_all_jobs_and_reports_sane_figures()
    {
        var json = Path.Combine(Path.GetTempPath(), $"qe-bench-smoke-{Guid.NewGuid():N}.json");
        try
        {
            // A bound, not a timing: the quick run starts eight queue-exporter processes (memory, processes) besides its
            // in-process flows, and took over 4 minutes (the fleet and scrape scenarios add more) at load average 50 on the shared 2-core machine.
            var (exitCode, output) = await RunHarnessAsync(["all", "--quick", "--json", json], TimeSpan.FromMinutes(12));

            Assert.True(exitCode == 0, $"the harness failed (exit {exitCode}):\n{output}");
            Assert.Contains("all finished", output, StringComparison.Ordinal);
            var figures = JsonDocument.Parse(await File.ReadAllTextAsync(json)).RootElement.EnumerateArray()
                .Select(f => (Scenario: f.GetProperty("Scenario").GetString()!, Name: f.GetProperty("Name").GetString()!, Value: f.GetProperty("Value").GetDouble(), Ratio: f.GetProperty("Ratio")))
                .ToList();
            double Value(string scenario, string nameStart) =>
                figures.Single(f => f.Scenario == scenario && f.Name.StartsWith(nameStart, StringComparison.Ordinal)).Value;

            Assert.True(Value("ceiling", "jobs/s, durable") > 0);
            Assert.True(Value("ceiling", "jobs/s, synchronous_commit=off") > 0);
            var throughputRatios = figures.Where(f => f.Scenario == "throughput" && f.Ratio.ValueKind == JsonValueKind.Number).Select(f => f.Ratio.GetDouble()).ToList();
            Assert.True(throughputRatios.Count >= 2, "expected a throughput ratio per commit mode");
            Assert.All(throughputRatios, ratio => Assert.True(ratio > 0, "a throughput ratio is not positive"));
            Assert.InRange(Value("burst", "commit → first runjob request"), 0, Value("burst", "commit → last runjob request"));
            Assert.True(Value("latency", "commit → runjob request p50 (durable)") > 0);
            Assert.True(Value("fleet", "completed jobs/s, 3 replica(s)") > 0);
            Assert.True(Value("latency", "commit → runjob request p99 (durable)") >= Value("latency", "commit → runjob request p50 (durable)"));
            Assert.True(Value("memory", "managed heap per pending job") > 16, "a scheduled job cannot take less than an object header");
            Assert.True(Value("memory", "runner process peak RSS") >= Value("memory", "runner process RSS once loaded"), "VmHWM is at least VmRSS");
            Assert.True(Value("memory", "runner process RSS at rest") > 0);
            Assert.True(Value("memory", "first dispatch while loading") > 0);
            Assert.True(Value("memory", "load time") > 0);
            Assert.True(Value("transactions", "runner transactions per job") > 0);
            // Blocks read, counted by pg_stat_statements: every loop read something, and the naive query read more than the refresh.
            Assert.True(Value("scrape", "frequent refresh, monitoring index") > 0);
            Assert.True(Value("scrape", "terminal totals pass, monitoring index") > 0);
            Assert.True(figures.Single(f => f.Name.StartsWith("frequent refresh (20,000", StringComparison.Ordinal)).Ratio.GetDouble() > 1);
            Assert.True(Value("processes", "runner CPU per job (durable)") > 0, "the runner process used no CPU: it was not measured");
            Assert.True(Value("processes", "worker CPU per job (async)") > 0, "the worker process used no CPU: it was not measured");
        }
        finally
        {
            File.Delete(json);
        }
    }

    [Fact]
    public async Task An_oca_queue_directory_without_OCAs_runner_is_refused_in_one_line_before_anything_runs()
    {
        var empty = Directory.CreateTempSubdirectory("qe-bench-no-oca-").FullName;
        try
        {
            var (exitCode, output) = await RunHarnessAsync(["processes", "--quick", "--oca-queue", empty], TimeSpan.FromMinutes(3));

            Assert.Equal(2, exitCode);
            var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            Assert.Equal($"--oca-queue {empty}: no queue_job/exception.py there; give the directory of a checkout of OCA/queue (the one holding queue_job/)", line);
        }
        finally
        {
            Directory.Delete(empty);
        }
    }

    private static async Task<(int ExitCode, string Output)> RunHarnessAsync(IReadOnlyList<string> arguments, TimeSpan timeout)
    {
        // bin/<Configuration>/net10.0 of this test project, mirrored for the harness (the solution builds both).
        var outputDirectory = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = outputDirectory.Name;
        var configuration = outputDirectory.Parent!.Name;
        var testsDirectory = outputDirectory.Parent!.Parent!.Parent!.Parent!.FullName;
        var project = Path.Combine(testsDirectory, "QueueExporter.Benchmarks");
        var dll = Path.Combine(project, "bin", configuration, framework, "QueueExporter.Benchmarks.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (File.Exists(dll))
        {
            start.ArgumentList.Add(dll);
        }
        else
        {
            // Only this test project was built: build and run the harness the documented way.
            foreach (var a in (string[])["run", "--project", project, "-c", configuration, "--"])
            {
                start.ArgumentList.Add(a);
            }
        }

        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the benchmark harness");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"the benchmark harness did not finish within {timeout.TotalSeconds} s:\n{await stdout}\n{await stderr}");
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
