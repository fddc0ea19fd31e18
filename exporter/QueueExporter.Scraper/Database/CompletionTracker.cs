using QueueExporter.QueueJob.Schema;
using QueueExporter.Scraper.Labels;

namespace QueueExporter.Scraper.Database;

/// <summary>
/// Decides which changed rows are completions, so that each job reaching done, failed or cancelled
/// is counted once however many notifications it causes. Pure: rows in, completions out.
/// </summary>
/// <remarks>
/// It remembers the last state seen of every active job (bounded by <c>maxActiveJobs</c>) and of
/// recently completed ones (a bounded first-in first-out window). A terminal row counts when the
/// job was last seen active, or when it was never seen and completed after following began (a
/// job inserted and finished between two reads); it does not count again while its terminal state
/// is remembered unchanged. A job completed and requeued and completed again between two reads is
/// counted once: the tracker sees states, not every transition. Retries are the increases of a
/// job's <c>retry</c> column between two reads of its row while it is remembered as active (OCA
/// increments it each time a job is postponed for a retry); the first read of a job sets its base.
/// </remarks>
public sealed class CompletionTracker
{
    private readonly DateTimeOffset _followingSince;
    private readonly int _maxActiveJobs;
    private readonly int _maxRememberedCompletions;
    private readonly FirstSeenLabels _exceptionLabels;
    private readonly FirstSeenLabels _functionLabels;
    private readonly Dictionary<string, string> _activeStates = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _completedStates = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _retries = new(StringComparer.Ordinal);
    private readonly Queue<string> _completionOrder = new();

    /// <summary>Creates a tracker that counts completions from <paramref name="followingSince"/> on.</summary>
    public CompletionTracker(
        DateTimeOffset followingSince,
        FirstSeenLabels exceptionLabels,
        int maxActiveJobs = 1_000_000,
        int maxRememberedCompletions = 100_000,
        FirstSeenLabels? functionLabels = null)
    {
        ArgumentNullException.ThrowIfNull(exceptionLabels);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxActiveJobs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRememberedCompletions, 1);
        _followingSince = followingSince;
        _exceptionLabels = exceptionLabels;
        _functionLabels = functionLabels ?? new FirstSeenLabels(ScraperOptions.DefaultMaxFunctions);
        _maxActiveJobs = maxActiveJobs;
        _maxRememberedCompletions = maxRememberedCompletions;
    }

    /// <summary>Active jobs whose state is remembered.</summary>
    public int TrackedActiveJobs => _activeStates.Count;

    /// <summary>
    /// Takes the full list of active jobs (read through the state index) as the new truth. Returns
    /// the jobs that were active and are no longer in the list: the caller reads them by uuid and
    /// passes them to <see cref="Observe"/>, which counts those that completed unseen.
    /// </summary>
    public IReadOnlyList<string> Resynchronise(IEnumerable<(string Uuid, string State)> activeJobs)
    {
        ArgumentNullException.ThrowIfNull(activeJobs);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (uuid, state) in activeJobs)
        {
            seen.Add(uuid);
            Remember(uuid, state);
        }

        return [.. _activeStates.Keys.Where(uuid => !seen.Contains(uuid))];
    }

    /// <summary>
    /// Takes the rows read for <paramref name="requestedUuids"/>; a requested uuid without a row
    /// was deleted and is forgotten. Returns the completions among the rows.
    /// </summary>
    public IReadOnlyList<JobCompletion> Observe(IEnumerable<string> requestedUuids, IReadOnlyList<JobRow> rows) =>
        ObserveChanges(requestedUuids, rows).Completions;

    /// <summary>
    /// Like <see cref="Observe"/>, and also returns the jobs that left a terminal state the tracker
    /// remembered them in (only those that completed while it followed, within its window).
    /// </summary>
    public TrackedChanges ObserveChanges(IEnumerable<string> requestedUuids, IReadOnlyList<JobRow> rows)
    {
        ArgumentNullException.ThrowIfNull(requestedUuids);
        ArgumentNullException.ThrowIfNull(rows);
        var completions = new List<JobCompletion>();
        var exits = new List<JobStateExit>();
        var retries = new Dictionary<string, int>(StringComparer.Ordinal);
        var found = new HashSet<string>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            found.Add(row.Uuid);
            if (_completedStates.TryGetValue(row.Uuid, out var completedState) && completedState != row.State)
            {
                exits.Add(new JobStateExit(row.Channel, completedState));
            }

            if (row.Retry is { } retry && _retries.TryGetValue(row.Uuid, out var previous) && retry > previous)
            {
                retries[row.Channel] = retries.GetValueOrDefault(row.Channel) + (retry - previous);
            }

            if (!JobStates.IsTerminal(row.State))
            {
                Remember(row.Uuid, row.State);
                if (row.Retry is { } current && _activeStates.ContainsKey(row.Uuid))
                {
                    _retries[row.Uuid] = current;
                }

                continue;
            }

            _retries.Remove(row.Uuid);

            if (CountsAsCompletion(row))
            {
                completions.Add(ToCompletion(row));
            }

            RememberCompleted(row.Uuid, row.State);
        }

        foreach (var uuid in requestedUuids)
        {
            if (!found.Contains(uuid))
            {
                _activeStates.Remove(uuid);
                _retries.Remove(uuid);
            }
        }

        return new TrackedChanges(completions, exits, retries);
    }

    private bool CountsAsCompletion(JobRow row)
    {
        if (_activeStates.Remove(row.Uuid))
        {
            return true;
        }

        if (_completedStates.TryGetValue(row.Uuid, out var completedState))
        {
            return completedState != row.State;
        }

        var completedAt = row.State switch
        {
            JobStates.Done => row.DateDone,
            JobStates.Cancelled => row.DateCancelled ?? row.DateDone,
            _ => row.DateStarted ?? row.DateCreated,
        };
        return completedAt >= _followingSince;
    }

    private JobCompletion ToCompletion(JobRow row)
    {
        double? duration = null;
        if (row.State == JobStates.Done)
        {
            duration = row.ExecTimeSeconds ?? (row.DateDone - row.DateStarted)?.TotalSeconds;
            if (duration < 0)
            {
                duration = null;
            }
        }

        double? wait = null;
        if (row.DateStarted is { } started && row.State != JobStates.Cancelled && row.DateCreated is { } created)
        {
            var runnableSince = row.Eta is { } eta && eta > created ? eta : created;
            wait = Math.Max(0, (started - runnableSince).TotalSeconds);
        }

        double? latency = row.State == JobStates.Done && row.DateDone is { } doneAt && row.DateCreated is { } createdAt
            ? Math.Max(0, (doneAt - createdAt).TotalSeconds)
            : null;
        var exception = row.State == JobStates.Failed ? _exceptionLabels.LabelFor(row.ExceptionName) : null;
        return new JobCompletion(row.Channel, row.State, duration, wait, exception, _functionLabels.LabelFor(row.Function), latency);
    }

    private void Remember(string uuid, string state)
    {
        // A job requeued after completing is active again: its next completion counts.
        _completedStates.Remove(uuid);
        if (_activeStates.Count < _maxActiveJobs || _activeStates.ContainsKey(uuid))
        {
            _activeStates[uuid] = state;
        }
    }

    private void RememberCompleted(string uuid, string state)
    {
        if (!_completedStates.ContainsKey(uuid))
        {
            _completionOrder.Enqueue(uuid);
        }

        _completedStates[uuid] = state;
        while (_completionOrder.Count > _maxRememberedCompletions)
        {
            // Entries removed early (requeued jobs) leave stale uuids in the queue; dropping them is harmless.
            _completedStates.Remove(_completionOrder.Dequeue());
        }
    }
}
