using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace QueueExporter.IntegrationTests.Cli;

/// <summary>Runs the real <c>queue-exporter</c> executable (built beside the tests) as a child process.</summary>
public static class QueueExporterCli
{
    /// <summary>The built queue-exporter.dll next to the test assembly.</summary>
    public static string DllPath { get; } = Path.Combine(AppContext.BaseDirectory, "queue-exporter.dll");

    /// <summary>
    /// A start description for a long-running subcommand (the caller owns the process): the built dll under
    /// <c>dotnet</c>, or <paramref name="executable"/> itself when given (the native runner, <see cref="NativeRunner"/>).
    /// </summary>
    public static ProcessStartInfo StartInfo(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, string? executable = null)
    {
        var start = new ProcessStartInfo(executable ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (executable is null)
        {
            start.ArgumentList.Add(DllPath);
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // Tests must not pick up the developer's own database or Odoo settings.
        start.Environment.Remove("QUEUE_EXPORTER_DATABASE_URL");
        start.Environment.Remove("ODOO_RC");
        foreach (var odooVariable in start.Environment.Keys.Where(k => k.StartsWith("ODOO_QUEUE_JOB_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(odooVariable);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        return start;
    }

    /// <summary>Runs to completion (bounded by <paramref name="timeout"/>) and returns exit code and output.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(IEnumerable<string> arguments, TimeSpan? timeout = null, IReadOnlyDictionary<string, string>? environment = null, string? executable = null)
    {
        using var process = Process.Start(StartInfo(arguments, environment, executable)) ?? throw new InvalidOperationException("could not start queue-exporter");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"queue-exporter {string.Join(' ', arguments)} did not finish in time");
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>
    /// Reads the child's stdout until a line matches <paramref name="listeningLine"/> and returns its first
    /// group as a URI (a subcommand started on port 0 logs the address it chose). From then on its output
    /// is drained in the background so the child never blocks on a full pipe.
    /// </summary>
    public static async Task<Uri> ReadListeningAddressAsync(Process process, Regex listeningLine, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(process);
        ArgumentNullException.ThrowIfNull(listeningLine);
        using var deadline = new CancellationTokenSource(timeout);
        while (await process.StandardOutput.ReadLineAsync(deadline.Token) is { } line)
        {
            if (listeningLine.Match(line) is { Success: true } match)
            {
                _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
                _ = process.StandardError.ReadToEndAsync(CancellationToken.None);
                return new Uri(match.Groups[1].Value);
            }
        }

        throw new InvalidOperationException($"queue-exporter exited before listening: {await process.StandardError.ReadToEndAsync(CancellationToken.None)}");
    }

    /// <summary>Sends SIGTERM (what a service manager sends) and waits for the process to exit.</summary>
    public static async Task TerminateAsync(Process process, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(process);
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]) ?? throw new InvalidOperationException("could not run kill"))
        {
            await kill.WaitForExitAsync();
        }

        using var deadline = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(deadline.Token);
    }
}
