namespace QueueExporter.Worker.Storage;

/// <summary>A job this worker has marked started, as read under its row lock.</summary>
internal sealed record StartedJob(
    int Id,
    string Uuid,
    string Function,
    string Channel,
    string ArgsJson,
    string KwargsJson,
    int Retry,
    int MaxRetries,
    DateTimeOffset DateStarted,
    int? LockId)
{
    /// <summary>The attempt this run is: Odoo counts every run in <c>retry</c>.</summary>
    public int Attempt => Retry + 1;
}
