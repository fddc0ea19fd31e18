using Npgsql;

namespace QueueExporter.QueueJob.Notifications;

/// <summary>Settings of a <see cref="QueueJobListener"/>.</summary>
public sealed class QueueJobListenerOptions
{
    /// <summary>The channel Odoo's trigger notifies.</summary>
    public const string DefaultChannel = "queue_job";

    /// <summary>Connection string of the one database to listen on (pooling is turned off: the connection is dedicated).</summary>
    public required string ConnectionString { get; init; }

    /// <summary>Name used in logs, usually the database name.</summary>
    public required string Name { get; init; }

    /// <summary>application_name of the listening session (shows in pg_stat_activity; the scraper counts runner sessions by it).</summary>
    public string ApplicationName { get; init; } = "queue-exporter-listener";

    /// <summary>NOTIFY channel to LISTEN on.</summary>
    public string Channel { get; init; } = DefaultChannel;

    /// <summary>An idle connection sends <c>SELECT 1</c> this often, so a dead server or a silent NAT drop is noticed. Default 30 s.</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>First delay before reconnecting. Default 0.5 s; doubles per failure up to <see cref="MaxReconnectDelay"/>.</summary>
    public TimeSpan InitialReconnectDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Cap of the reconnection delay. Default 30 s.</summary>
    public TimeSpan MaxReconnectDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Delay before asking <see cref="PrepareConnectionAsync"/> again after it declined. Default 5 s (OCA's).</summary>
    public TimeSpan StandbyRetryInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Most uuids in one <see cref="NotificationBatch"/>: keeps each batch's re-read query bounded. Default 1000.</summary>
    public int MaxBatchSize { get; init; } = 1000;

    /// <summary>
    /// Runs on each new connection before LISTEN; returning false declines the connection (it is closed and
    /// retried after <see cref="StandbyRetryInterval"/>). The runner takes its advisory leader lock here, so the
    /// lock lives and dies with the listening connection.
    /// </summary>
    public Func<NpgsqlConnection, CancellationToken, ValueTask<bool>>? PrepareConnectionAsync { get; init; }

    /// <summary>Runs when the connection is closed for any reason (e.g. to drop leadership at once).</summary>
    public Action? ConnectionClosed { get; init; }

    /// <summary>
    /// When set, each event is handed to this on the listener's own task, in order, instead of being written to
    /// <see cref="QueueJobListener.Events"/> (which then stays empty until it completes). For a consumer whose
    /// handling is quick: the runner only forwards each event to its database's inbox, and a notification then
    /// wakes one task less on its way to the re-read. It must not block or throw: what it throws is handled like a lost connection,
    /// and escapes <see cref="QueueJobListener.RunAsync"/> if it throws for that too.
    /// </summary>
    public Action<ListenerEvent>? OnEvent { get; init; }

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            throw new ArgumentException("ConnectionString is required", nameof(ConnectionString));
        }

        if (KeepAliveInterval <= TimeSpan.Zero || InitialReconnectDelay <= TimeSpan.Zero || MaxReconnectDelay < InitialReconnectDelay || StandbyRetryInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException("listener intervals must be positive and MaxReconnectDelay >= InitialReconnectDelay");
        }

        if (MaxBatchSize < 1)
        {
            throw new ArgumentException("MaxBatchSize must be at least 1", nameof(MaxBatchSize));
        }
    }
}
