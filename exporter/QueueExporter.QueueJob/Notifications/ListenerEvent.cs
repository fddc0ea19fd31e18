namespace QueueExporter.QueueJob.Notifications;

/// <summary>What a <see cref="QueueJobListener"/> tells its consumer.</summary>
public abstract record ListenerEvent;

/// <summary>
/// LISTEN is active on a new connection. Notifications sent while no session listened are lost, so
/// the consumer must resynchronise from the table now: on the first connection and on every reconnection.
/// </summary>
/// <param name="IsReconnect">False on the first connection of this listener.</param>
public sealed record ListenerConnected(bool IsReconnect) : ListenerEvent;

/// <summary>Uuids whose rows changed (insert, update, or delete of a job not done), in arrival order.</summary>
public sealed record NotificationBatch(IReadOnlyList<string> Uuids) : ListenerEvent
{
    /// <summary>
    /// This batch merged with the notification batches already waiting behind it, so that one re-read
    /// answers them all: under load the listener hands out small batches, and re-reading them one at a
    /// time would make a consumer fall further behind the busier the table gets. Stops at the first
    /// event of another kind, so (re)connections are still handled in order, and at
    /// <paramref name="maxUuids"/> distinct uuids, which bounds one re-read statement.
    /// </summary>
    /// <param name="events">The listener's events, positioned just after this batch.</param>
    /// <param name="maxUuids">Most distinct uuids to merge; more stay queued for the next read.</param>
    /// <param name="notifications">How many notifications the merged batches carried (duplicates included).</param>
    public HashSet<string> MergeQueued(System.Threading.Channels.ChannelReader<ListenerEvent> events, int maxUuids, out int notifications)
    {
        ArgumentNullException.ThrowIfNull(events);
        var uuids = new HashSet<string>(Uuids, StringComparer.Ordinal);
        notifications = Uuids.Count;
        while (uuids.Count < maxUuids && events.TryPeek(out var next) && next is NotificationBatch more && events.TryRead(out _))
        {
            uuids.UnionWith(more.Uuids);
            notifications += more.Uuids.Count;
        }

        return uuids;
    }
}

/// <summary>The connection is gone: notifications may be lost until the next <see cref="ListenerConnected"/>.</summary>
/// <param name="Reason">One line, safe to log (no credentials).</param>
/// <param name="RetryIn">When the listener tries again.</param>
public sealed record ListenerDisconnected(string Reason, TimeSpan RetryIn) : ListenerEvent;

/// <summary>The prepare hook declined the connection (for the runner: another session holds the leader lock).</summary>
/// <param name="RetryIn">When the listener tries again.</param>
public sealed record ListenerStandby(TimeSpan RetryIn) : ListenerEvent;
