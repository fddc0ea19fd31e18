using System.Diagnostics;
using QueueExporter.IntegrationTests.Cli;
using QueueExporter.TestSupport;

namespace QueueExporter.IntegrationTests.Faults;

/// <summary>
/// A real <c>queue-exporter</c> child process (runner or worker) whose output is kept line by line
/// with the moment each line arrived, so that tests can wait for a log line and time faults against
/// it. <see cref="KillAsync"/> is SIGKILL: no shutdown code runs, sockets are closed by the kernel.
/// </summary>
public sealed class QueueExporterProcess : IAsyncDisposable
{
    /// <summary>When set, each process's output is written to a file in this directory when it is disposed.</summary>
    public const string LogDirectoryVariable = "QUEUE_EXPORTER_FAULTS_LOGS";

    private readonly Process _process;
    private readonly List<OutputLine> _lines = [];
    private readonly Task _stdout;
    private readonly Task _stderr;

    private QueueExporterProcess(string name, Process process)
    {
        Name = name;
        _process = process;
        Pid = process.Id;
        _stdout = PumpAsync(process.StandardOutput);
        _stderr = PumpAsync(process.StandardError);
    }

    /// <summary>A short name for messages, e.g. <c>runner-2</c>.</summary>
    public string Name { get; }

    public int Pid { get; }

    /// <summary>When <see cref="KillAsync"/> sent SIGKILL, or null.</summary>
    public DateTimeOffset? KillSentAt { get; private set; }

    /// <summary>When the killed process was gone (nothing of it runs after this), or null.</summary>
    public DateTimeOffset? KilledAt { get; private set; }

    public bool HasExited => _process.HasExited;

    /// <summary>One line of output and when the test read it.</summary>
    public sealed record OutputLine(DateTimeOffset ReceivedAt, string Text);

    public static QueueExporterProcess Start(string name, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var process = Process.Start(QueueExporterCli.StartInfo(arguments, environment))
            ?? throw new InvalidOperationException($"could not start queue-exporter for {name}");
        return new QueueExporterProcess(name, process);
    }

    /// <summary>A copy of the output read so far.</summary>
    public IReadOnlyList<OutputLine> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    /// <summary>The first line (read after <paramref name="after"/>, if given) that contains <paramref name="text"/>.</summary>
    public OutputLine? FindLine(string text, DateTimeOffset? after = null)
    {
        lock (_lines)
        {
            return _lines.FirstOrDefault(l => l.Text.Contains(text, StringComparison.Ordinal) && (after is null || l.ReceivedAt > after));
        }
    }

    public int CountLines(string text)
    {
        lock (_lines)
        {
            return _lines.Count(l => l.Text.Contains(text, StringComparison.Ordinal));
        }
    }

    /// <summary>Waits (with a deadline) for a line containing <paramref name="text"/>; fails early if the process exits.</summary>
    public async Task<OutputLine> WaitForLineAsync(string text, TimeSpan timeout, DateTimeOffset? after = null)
    {
        OutputLine? found = null;
        var exitedEarly = false;
        await Eventually.UntilAsync(
            () =>
            {
                found = FindLine(text, after);
                exitedEarly = found is null && _process.HasExited;
                return found is not null || exitedEarly;
            },
            timeout,
            $"{Name} never printed '{text}'. Its output:\n{Tail()}");
        return exitedEarly
            ? throw new InvalidOperationException($"{Name} exited ({_process.ExitCode}) before printing '{text}'. Its output:\n{Tail()}")
            : found!;
    }

    /// <summary>SIGKILL, then waits until the process is gone.</summary>
    public async Task KillAsync()
    {
        KillSentAt = DateTimeOffset.UtcNow;
        _process.Kill();
        await _process.WaitForExitAsync();
        KilledAt = DateTimeOffset.UtcNow;
    }

    /// <summary>The last lines of output, for failure messages.</summary>
    public string Tail(int count = 40)
    {
        lock (_lines)
        {
            return string.Join('\n', _lines.TakeLast(count).Select(l => l.Text));
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        await Task.WhenAll(_stdout, _stderr);
        _process.Dispose();
        if (Environment.GetEnvironmentVariable(LogDirectoryVariable) is { Length: > 0 } directory)
        {
            // For a post-mortem of a failed run: every process's full output, one file each.
            Directory.CreateDirectory(directory);
            await File.WriteAllLinesAsync(Path.Combine(directory, $"{Name}-{Pid}.log"), Lines.Select(l => $"{l.ReceivedAt:HH:mm:ss.fff} | {l.Text}"));
        }
    }

    private async Task PumpAsync(StreamReader reader)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            var received = DateTimeOffset.UtcNow;
            lock (_lines)
            {
                _lines.Add(new OutputLine(received, line));
            }
        }
    }
}
