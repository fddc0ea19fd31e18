using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace QueueExporter.TestSupport;

/// <summary>
/// Runs the machine's PostgreSQL programs (initdb, pg_ctl, pgbench): finds them, runs them as the
/// <c>postgres</c> user when we are root (PostgreSQL refuses to run as root), and picks free loopback
/// ports for the clusters they start. Shared by the test harness and the benchmark rig.
/// </summary>
public static class PostgresBinaries
{
    /// <summary>Whether this process runs as root (then the server programs run as <c>postgres</c>).</summary>
    public static bool RunningAsRoot => Environment.UserName == "root";

    /// <summary>The newest <c>/usr/lib/postgresql/N/bin</c> that has <paramref name="requiredProgram"/>.</summary>
    public static string FindBinDirectory(string requiredProgram = "initdb")
    {
        var candidates = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, requiredProgram))).Order().ToList()
            : [];
        return candidates.Count > 0
            ? candidates[^1]
            : throw new InvalidOperationException($"no PostgreSQL server binaries with {requiredProgram} under /usr/lib/postgresql (apt-get install postgresql), and {PostgresServer.UrlEnvironmentVariable} is not set");
    }

    /// <summary>A loopback port that was free a moment ago.</summary>
    public static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Runs a program to completion and returns its output; throws with its stderr when it fails.</summary>
    public static async Task<string> RunAsync(string program, IReadOnlyList<string> arguments, bool asPostgresUser = false, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(asPostgresUser ? "runuser" : program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        IEnumerable<string> prefix = asPostgresUser ? ["-u", "postgres", "--", program] : [];
        foreach (var argument in prefix.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(program)} {string.Join(' ', arguments)} failed ({process.ExitCode}): {await stderr}{await stdout}");
        }

        return await stdout + await stderr;
    }
}
