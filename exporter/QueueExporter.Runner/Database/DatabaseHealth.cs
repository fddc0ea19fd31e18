namespace QueueExporter.Runner.Database;

/// <summary>One database's status for /healthz and the status metrics.</summary>
/// <param name="Status">Where it stands.</param>
/// <param name="Reason">One line, safe to show (no credentials); empty when leading or standing by.</param>
/// <param name="Since">When it entered this status.</param>
internal sealed record DatabaseHealth(DatabaseStatus Status, string Reason, DateTimeOffset Since)
{
    /// <summary>Served means: led by this runner, or by another one (a standby is healthy).</summary>
    public bool IsServed => Status is DatabaseStatus.Leading or DatabaseStatus.Standby;
}
