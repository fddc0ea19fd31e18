using System.Text.RegularExpressions;

namespace QueueExporter.IntegrationTests.Faults;

/// <summary>
/// Rebuilds the handler runs of a real <c>queue-exporter worker</c> process from its log (debug level,
/// so that "running job" lines appear): a run starts at its "running job X" line and ends at the next
/// line of that process that finishes X (done, postponed, failed, interrupted, could not run), or, for
/// a process killed before that, when the process was gone. Times are when the test read each line:
/// slightly late for both ends, never early for an end, so an overlap is not hidden.
/// </summary>
public static partial class WorkerLogReader
{
    /// <summary>Environment that makes the worker log each job's start (the controller logs it at debug level).</summary>
    public static readonly IReadOnlyDictionary<string, string> DebugJobLog = new Dictionary<string, string>
    {
        ["Logging__LogLevel__QueueExporter.Worker"] = "Debug",
    };

    /// <summary>Adds every run found in <paramref name="worker"/>'s output to <paramref name="log"/>.</summary>
    public static void AddExecutions(ExecutionLog log, QueueExporterProcess worker)
    {
        var open = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        foreach (var line in worker.Lines)
        {
            if (StartLine().Match(line.Text) is { Success: true } start)
            {
                open[start.Groups[1].Value] = line.ReceivedAt;
                continue;
            }

            if (EndLine().Match(line.Text) is { Success: true } end
                && open.Remove(end.Groups["uuid"].Value, out var started))
            {
                log.Add(new JobExecution(end.Groups["uuid"].Value, worker.Name, worker.Pid, started, line.ReceivedAt, end.Groups["outcome"] is { Success: true } outcome ? outcome.Value : "database error"));
            }
        }

        foreach (var (uuid, started) in open)
        {
            log.Add(new JobExecution(uuid, worker.Name, worker.Pid, started, worker.KilledAt, worker.KilledAt is null ? "running" : "killed"));
        }
    }

    [GeneratedRegex(@"running job ([0-9a-f-]{36}) ")]
    private static partial Regex StartLine();

    [GeneratedRegex(@"(?:job (?<uuid>[0-9a-f-]{36}) \S+ (?<outcome>done|postponed|failed) on db|job (?<uuid>[0-9a-f-]{36}) on db \S+ was (?<outcome>interrupted)|could not run job (?<uuid>[0-9a-f-]{36}) on db)")]
    private static partial Regex EndLine();
}
