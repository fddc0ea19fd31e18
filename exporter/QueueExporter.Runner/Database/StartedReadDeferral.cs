using QueueExporter.QueueJob.Schema;
using QueueExporter.Runner.Channels;

namespace QueueExporter.Runner.Database;

/// <summary>
/// Whether, in one database under one lease, a dispatched job's first notification after the runner's own
/// echo may wait for its next (<see cref="DeferredRereads"/>). OCA's payload is the uuid alone, so nothing
/// tells a "started" from a "done" before the row is read; deferring is right only where the workers write
/// "started" (Odoo's and ours do, committed before the job runs). A worker that writes no "started" would
/// have every slot's "done" held for the whole delay. So the reader decides from what it reads:
/// <list type="bullet">
/// <item>off until a read finds some job in state "started": the workers write it;</item>
/// <item>off for the rest of the lease once a job that waited its whole delay is found no longer running
/// (finished, back to pending, gone): that notification was not a "started", or the job was as short as the
/// delay. A wrong guess turns only the saving off.</item>
/// </list>
/// A new lease starts off and learns again. Used by the database's one reader only (not thread-safe).
/// </summary>
internal sealed class StartedReadDeferral
{
    private long _epoch;
    private bool _ruledOut;

    /// <summary>Whether a dispatched job's next notification may wait now.</summary>
    public bool IsOn { get; private set; }

    /// <summary>Starts the lease <paramref name="epoch"/> off, with nothing learned.</summary>
    public void BeginLease(long epoch)
    {
        if (_epoch != epoch)
        {
            _epoch = epoch;
            IsOn = false;
            _ruledOut = false;
        }
    }

    /// <summary>Learns from one read.</summary>
    /// <param name="facts">The rows it found.</param>
    /// <param name="waitedOut">The jobs in it that had waited their whole delay (<see cref="DeferredRereads.TakeDue"/>).</param>
    /// <returns>True when this read turned the deferral off for the rest of the lease.</returns>
    public bool Learn(IReadOnlyList<JobFacts> facts, IReadOnlySet<string> waitedOut)
    {
        if (_ruledOut)
        {
            return false;
        }

        if (waitedOut.Count > 0 && !AllStillRunning(facts, waitedOut))
        {
            _ruledOut = true;
            IsOn = false;
            return true;
        }

        if (!IsOn)
        {
            for (var i = 0; i < facts.Count && !IsOn; i++)
            {
                IsOn = facts[i].State == JobStates.Started;
            }
        }

        return false;
    }

    // A waited-out job with no row (deleted, or a row the reader skipped) is not running either.
    private static bool AllStillRunning(IReadOnlyList<JobFacts> facts, IReadOnlySet<string> waitedOut)
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < facts.Count; i++)
        {
            var fact = facts[i];
            if (waitedOut.Contains(fact.Uuid))
            {
                if (fact.State is not (JobStates.Started or JobStates.Enqueued))
                {
                    return false;
                }

                found.Add(fact.Uuid);
            }
        }

        return found.Count == waitedOut.Count;
    }
}
