using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;
using QueueExporter.TestSupport;

namespace QueueExporter.IntegrationTests.Cli;

/// <summary>
/// A long-running queue-exporter subcommand whose every output line (stdout and stderr) is kept, for
/// tests that check what it logs. Disposal stops it (SIGTERM, then kill) if it still runs.
/// </summary>
public sealed class RunningCommand : IAsyncDisposable
{
    private static readonly TimeSpan StopPatience = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly Task _readers;

    private RunningCommand(Process process)
    {
        _process = process;
        _readers = Task.WhenAll(CollectAsync(process.StandardOutput), CollectAsync(process.StandardError));
    }

    /// <summary>Every line written so far, in arrival order per stream.</summary>
    // ToArray is the queue's atomic snapshot; a collection expression may read Count, then enumerate.
    public IReadOnlyList<string> Lines => _lines.ToArray();

    /// <summary>Everything written so far as one text.</summary>
    public string Output => string.Join('\n', _lines);

    public bool HasExited => _process.HasExited;

    public static RunningCommand Start(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null) =>
        new(Process.Start(QueueExporterCli.StartInfo(arguments, environment)) ?? throw new InvalidOperationException("could not start queue-exporter"));

    /// <summary>Waits until a line matches <paramref name="pattern"/>; returns its match. Fails with the output so far if the process exits first.</summary>
    public async Task<Match> WaitForLineAsync(Regex pattern, TimeSpan timeout, string what)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        Match? found = null;
        await Eventually.UntilAsync(
            () =>
            {
                found = _lines.Select(line => pattern.Match(line)).FirstOrDefault(m => m.Success);
                if (found is null && _process.HasExited)
                {
                    throw new InvalidOperationException($"queue-exporter exited with {_process.ExitCode} before {what}:\n{Output}");
                }

                return Task.FromResult(found is not null);
            },
            timeout,
            what);
        return found!;
    }

    /// <summary>SIGTERM, then waits for the exit and for the last output lines.</summary>
    public async Task<int> StopAsync()
    {
        if (!_process.HasExited)
        {
            await QueueExporterCli.TerminateAsync(_process, StopPatience);
        }

        await _readers;
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }

    private async Task CollectAsync(StreamReader reader)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            _lines.Enqueue(line);
        }
    }
}
