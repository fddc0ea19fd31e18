using System.Diagnostics;

namespace QueueExporter.Benchmarks.Rig;

/// <summary>
/// The real <c>queue-exporter</c> executable (built beside the harness, with its own runtime settings), or OCA's
/// runner for a comparison, as a child process, so that memory and CPU are the process's own as /proc reports them, not the harness's.
/// Output lines are kept with the <see cref="Stopwatch"/> timestamp at which each arrived. Disposing
/// stops it (SIGTERM, then SIGKILL after a bounded wait).
/// </summary>
internal sealed class ExporterProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<(long At, string Text)> _lines = [];
    private readonly Task _stdout;
    private readonly Task _stderr;

    private readonly string _name;

    private ExporterProcess(Process process, string name, long startedAt)
    {
        _process = process;
        _name = name;
        StartedAt = startedAt;
        _stdout = PumpAsync(process.StandardOutput);
        _stderr = PumpAsync(process.StandardError);
    }

    public int Pid => _process.Id;

    /// <summary>An executable to run for the <c>runner</c> command instead of the built <c>queue-exporter.dll</c> (a Native AOT build); null for the built one.</summary>
    public static string? RunnerBinary { get; set; }

    /// <summary>Stopwatch timestamp just before the process was started.</summary>
    public long StartedAt { get; }

    public static ExporterProcess Start(IEnumerable<string> arguments)
    {
        var native = RunnerBinary is not null && arguments.FirstOrDefault() == "runner";
        var start = new ProcessStartInfo(native ? RunnerBinary! : "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (!native)
        {
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "queue-exporter.dll"));
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Remove("QUEUE_EXPORTER_DATABASE_URL");
        return StartProgram(start, "queue-exporter");
    }

    /// <summary>Another program of the flow measured the same way (OCA's runner, <see cref="OcaRunnerTree"/>); its output must be redirected.</summary>
    public static ExporterProcess StartProgram(ProcessStartInfo start, string name)
    {
        var startedAt = Stopwatch.GetTimestamp();
        return new ExporterProcess(Process.Start(start) ?? throw new InvalidOperationException("could not start " + name), name, startedAt);
    }

    /// <summary>The arrival timestamp of the first line containing <paramref name="text"/>; fails after <paramref name="timeout"/> or when the process exits.</summary>
    public async Task<long> WaitForLineAsync(string text, TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            lock (_lines)
            {
                foreach (var (at, line) in _lines)
                {
                    if (line.Contains(text, StringComparison.Ordinal))
                    {
                        return at;
                    }
                }
            }

            if (_process.HasExited || Stopwatch.GetTimestamp() > deadline)
            {
                throw new InvalidOperationException($"{_name} never wrote '{text}' within {timeout.TotalSeconds} s; its output:\n{Output()}");
            }

            await Task.Delay(10);
        }
    }

    public string Output()
    {
        lock (_lines)
        {
            return string.Join('\n', _lines.TakeLast(40).Select(l => l.Text));
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // SIGTERM: the graceful stop every deployment uses.
            using (var kill = Process.Start("kill", ["-TERM", Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try
            {
                await _process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync(CancellationToken.None);
            }
        }

        await Task.WhenAll(_stdout, _stderr);
        _process.Dispose();
    }

    private async Task PumpAsync(StreamReader reader)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            var at = Stopwatch.GetTimestamp();
            lock (_lines)
            {
                // Bounded: a benchmark's process writes a few lines per phase; the first ones are the ones waited for.
                if (_lines.Count < 10_000)
                {
                    _lines.Add((at, line));
                }
            }
        }
    }
}
