using QueueExporter.QueueJob.Web;

namespace QueueExporter.Runner.Status;

/// <summary>The <see cref="IRunnerStatus"/> of a <see cref="JobRunner"/>, built only from its public, thread-safe read properties.</summary>
internal sealed class JobRunnerStatus(JobRunner runner, TimeProvider time) : IRunnerStatus
{
    public RunnerStatusSnapshot Snapshot()
    {
        var leadership = runner.Leadership;
        var databases = runner.DatabaseHealth
            .OrderBy(d => d.Key, StringComparer.Ordinal)
            .Select(d => new DatabaseSnapshot(d.Key, d.Value.Status, d.Value.Served, leadership.GetValueOrDefault(d.Key), d.Value.Reason))
            .ToList();
        var channels = runner.ChannelCounts
            .Select(c => new ChannelSnapshot(c.Channel, c.Capacity, c.Running, c.Queued, c.WaitingForEta, c.Failed))
            .ToList();
        return new RunnerStatusSnapshot(
            time.GetUtcNow(),
            LandingPage.Version,
            runner.IsAlive,
            !runner.HasTriedEveryDatabase,
            runner.DiscoveryFailure,
            databases,
            channels,
            runner.RecentDispatches.Last,
            runner.RecentDispatches.Failures,
            runner.FleetStatus,
            runner.IsFleetMember);
    }
}
