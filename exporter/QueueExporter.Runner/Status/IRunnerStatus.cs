namespace QueueExporter.Runner.Status;

/// <summary>
/// A read-only view of a running runner for its status page: a copy taken at one moment, so that the page
/// never holds a reference into the runner's own state (which the loop and the database actors own).
/// </summary>
public interface IRunnerStatus
{
    /// <summary>The runner as it is now.</summary>
    RunnerStatusSnapshot Snapshot();
}
