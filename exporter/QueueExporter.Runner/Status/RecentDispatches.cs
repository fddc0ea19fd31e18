namespace QueueExporter.Runner.Status;

/// <summary>
/// The last runjob calls and the last failed ones, for the status page: two bounded rings, newest first.
/// Written by the dispatcher's calls (any thread), read by page requests; a lock is enough at dispatch rates
/// (a few appends per job against the PostgreSQL round trips each job costs).
/// </summary>
public sealed class RecentDispatches
{
    /// <summary>Records kept in each list.</summary>
    public const int Capacity = 20;

    private readonly Lock _gate = new();
    private readonly LinkedList<DispatchRecord> _all = new();
    private readonly LinkedList<DispatchRecord> _failures = new();

    /// <summary>The last calls, newest first.</summary>
    public IReadOnlyList<DispatchRecord> Last
    {
        get
        {
            lock (_gate)
            {
                return [.. _all];
            }
        }
    }

    /// <summary>The last calls that did not hand the job over (http_error, connection_error, refused), newest first.</summary>
    public IReadOnlyList<DispatchRecord> Failures
    {
        get
        {
            lock (_gate)
            {
                return [.. _failures];
            }
        }
    }

    /// <summary>Whether an outcome label is a failure; a timeout is not one (the worker keeps the job, as OCA's runner expects).</summary>
    public static bool IsFailure(string outcome) => outcome is "http_error" or "connection_error" or "refused";

    /// <summary>Adds one call.</summary>
    public void Add(DispatchRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        lock (_gate)
        {
            Push(_all, record);
            if (IsFailure(record.Outcome))
            {
                Push(_failures, record);
            }
        }
    }

    private static void Push(LinkedList<DispatchRecord> list, DispatchRecord record)
    {
        list.AddFirst(record);
        if (list.Count > Capacity)
        {
            list.RemoveLast();
        }
    }
}
