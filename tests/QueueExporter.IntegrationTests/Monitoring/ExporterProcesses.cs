using System.Diagnostics;
using System.Text;
using QueueExporter.IntegrationTests.Cli;
using QueueExporter.TestSupport;

namespace QueueExporter.IntegrationTests.Monitoring;

/// <summary>
/// The real runner, worker and scraper (the built queue-exporter executable) against one test
/// database, each on its own loopback port, as Prometheus would scrape them in production.
/// Any of them can be left out or stopped; output is kept for failure messages.
/// </summary>
internal sealed class ExporterProcesses : IAsyncDisposable
{
    private readonly Dictionary<string, Process> _processes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, StringBuilder> _output = new(StringComparer.Ordinal);

    /// <summary>Scrape job name (as in deploy/prometheus/prometheus.yml) -> host:port, for the running ones.</summary>
    public Dictionary<string, string> Targets { get; } = new(StringComparer.Ordinal);

    public string Output => string.Join("\n", _output.Select(o => $"--- {o.Key}:\n{Snapshot(o.Value)}"));

    public async Task StartWorkerAsync(string databaseUrl) =>
        await StartAsync("queue-exporter-worker", port => ["worker", "--database-url", databaseUrl, "--listen", $"127.0.0.1:{port}", "--demo-handlers"]);

    /// <summary>The runner, calling runjob at <paramref name="workerUrl"/> (a closed port: no worker at all).</summary>
    public async Task StartRunnerAsync(string databaseUrl, string workerUrl, string channels) =>
        await StartAsync("queue-exporter-runner", port => ["runner", "--database-url", databaseUrl, "--listen", $"127.0.0.1:{port}", "--worker-url", workerUrl, "--channels", channels]);

    public async Task StartScraperAsync(string databaseUrl, string? logFile = null) =>
        await StartAsync("queue-exporter-scraper", port =>
            ["scrape", "--database-url", databaseUrl, "--listen", $"127.0.0.1:{port}", "--interval", "1s", .. logFile is null ? Array.Empty<string>() : ["--log-file", logFile]]);

    /// <summary>The exporter's own /metrics text.</summary>
    public async Task<string> MetricsTextAsync(string job)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        return await http.GetStringAsync(new Uri($"http://{Targets[job]}/metrics"));
    }

    /// <summary>Kills the process, as a crash or an OOM kill would.</summary>
    public async Task KillAsync(string job)
    {
        var process = _processes[job];
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes.Values)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }

            process.Dispose();
        }
    }

    private async Task StartAsync(string job, Func<int, IEnumerable<string>> arguments)
    {
        var port = LoopbackPort.Free();
        var process = Process.Start(QueueExporterCli.StartInfo(arguments(port)))
            ?? throw new InvalidOperationException($"could not start {job}");
        var output = new StringBuilder();
        _processes[job] = process;
        _output[job] = output;
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Targets[job] = $"127.0.0.1:{port}";

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        await Eventually.UntilAsync(async () =>
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{job} exited with {process.ExitCode}:\n{Snapshot(output)}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/metrics"));
                return response.IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
            catch (TaskCanceledException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(60), $"{job} serves /metrics on 127.0.0.1:{port}");
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is not null)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
    }

    private static string Snapshot(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }
}
