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
public sealed record NotificationBatch(IReadOnlyList<string> Uuids) : ListenerEvent;

/// <summary>The connection is gone: notifications may be lost until the next <see cref="ListenerConnected"/>.</summary>
/// <param name="Reason">One line, safe to log (no credentials).</param>
/// <param name="RetryIn">When the listener tries again.</param>
public sealed record ListenerDisconnected(string Reason, TimeSpan RetryIn) : ListenerEvent;

/// <summary>The prepare hook declined the connection (for the runner: another session holds the leader lock).</summary>
/// <param name="RetryIn">When the listener tries again.</param>
public sealed record ListenerStandby(TimeSpan RetryIn) : ListenerEvent;
