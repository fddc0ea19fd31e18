namespace QueueExporter.IntegrationTests.Faults;

/// <summary>
/// One run of a job's handler, seen from the worker: which worker (name and pid) ran which job, from
/// when to when. <see cref="Ended"/> is null while it runs; a run cut short by SIGKILL ends when its
/// process was gone. Two runs of one uuid whose spans overlap mean the job ran twice at once.
/// </summary>
public sealed record JobExecution(string Uuid, string Worker, int Pid, DateTimeOffset Started, DateTimeOffset? Ended, string Outcome)
{
    /// <summary>Whether the two runs were in progress at the same moment (an open run lasts until <paramref name="now"/>).</summary>
    public bool Overlaps(JobExecution other, DateTimeOffset now) =>
        Started < (other.Ended ?? now) && other.Started < (Ended ?? now);

    public override string ToString() =>
        $"{Uuid} on {Worker} (pid {Pid}) {Started:HH:mm:ss.fff}–{(Ended is { } end ? end.ToString("HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture) : "still running")} {Outcome}";
}
