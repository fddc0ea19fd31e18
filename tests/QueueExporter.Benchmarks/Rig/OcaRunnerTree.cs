using System.Diagnostics;

namespace QueueExporter.Benchmarks.Rig;

/// <summary>
/// OCA's own job runner, unmodified, from a checkout of OCA/queue (<c>--oca-queue DIR</c>), ready to run outside
/// Odoo beside the thin stand-ins in <c>OcaRunner/</c> (its README says what they replace and why that does not
/// change what is measured). Nothing of OCA's is in this repository: the three files it needs are copied from the
/// checkout into a temporary tree.
/// </summary>
internal sealed class OcaRunnerTree : IDisposable
{
    /// <summary>Debian's interpreter, where python3-psycopg2 and python3-requests install (another python3 on PATH may lack them).</summary>
    private const string Python = "/usr/bin/python3";

    private static readonly string[] OcaFiles = ["queue_job/exception.py", "queue_job/jobrunner/runner.py", "queue_job/jobrunner/channels.py"];

    private readonly string _directory;

    private OcaRunnerTree(string directory) => _directory = directory;

    /// <summary>What is wrong with <paramref name="checkout"/> or this machine for running OCA's runner, in one line; null when nothing is.</summary>
    public static string? Problem(string checkout)
    {
        if (OcaFiles.FirstOrDefault(f => !File.Exists(Path.Combine(checkout, f))) is { } missing)
        {
            return $"--oca-queue {checkout}: no {missing} there; give the directory of a checkout of OCA/queue (the one holding queue_job/)";
        }

        if (!File.Exists(Python))
        {
            return $"OCA's runner needs {Python}: apt-get install python3 python3-psycopg2 python3-requests";
        }

        using var probe = Process.Start(new ProcessStartInfo(Python, ["-c", "import psycopg2, requests"]) { RedirectStandardError = true, UseShellExecute = false })!;
        probe.WaitForExit();
        return probe.ExitCode == 0 ? null : $"OCA's runner needs psycopg2 and requests for {Python}: apt-get install python3-psycopg2 python3-requests";
    }

    /// <summary>Copies the stand-ins (built beside the harness) and OCA's three files into a new temporary directory.</summary>
    public static OcaRunnerTree Create(string checkout)
    {
        var directory = Directory.CreateTempSubdirectory("qe-bench-oca-").FullName;
        var shims = Path.Combine(AppContext.BaseDirectory, "OcaRunner");
        foreach (var file in Directory.EnumerateFiles(shims, "*.py", SearchOption.AllDirectories))
        {
            var target = Path.Combine(directory, Path.GetRelativePath(shims, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        foreach (var file in OcaFiles)
        {
            File.Copy(Path.Combine(checkout, file), Path.Combine(directory, file));
        }

        return new OcaRunnerTree(directory);
    }

    /// <summary>
    /// How to start the runner on <paramref name="database"/> with <paramref name="channels"/>, calling the worker at
    /// <paramref name="workerPort"/>: all through OCA's own environment variables, as a deployment would set them.
    /// </summary>
    public ProcessStartInfo StartInfo(string database, int databasePort, string role, int workerPort, string channels)
    {
        var start = new ProcessStartInfo(Python, ["-u", Path.Combine(_directory, "run_oca_runner.py")])
        {
            WorkingDirectory = _directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        start.Environment["QE_OCA_DB_NAME"] = database;
        start.Environment["ODOO_QUEUE_JOB_JOBRUNNER_DB_HOST"] = "127.0.0.1";
        start.Environment["ODOO_QUEUE_JOB_JOBRUNNER_DB_PORT"] = databasePort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["ODOO_QUEUE_JOB_JOBRUNNER_DB_USER"] = role;
        start.Environment["ODOO_QUEUE_JOB_HOST"] = "127.0.0.1";
        start.Environment["ODOO_QUEUE_JOB_PORT"] = workerPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["ODOO_QUEUE_JOB_CHANNELS"] = channels;
        return start;
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
