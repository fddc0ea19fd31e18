namespace QueueExporter.Runner.Leadership;

/// <summary>
/// This runner's leadership of one database: it begins when the listening session takes OCA's advisory
/// lock and ends when that session ends. Each lease of a process gets a new <see cref="Epoch"/>, so facts
/// and dispatches of an earlier lease can be told apart and dropped. The session is named by its
/// backend pid and a random advisory key it holds for as long as it lives (<see cref="LeaderToken"/>): a
/// pid alone can be reused after a server restart, a key this random cannot be taken by chance.
/// <see cref="LeaseFence"/> turns that into a SQL predicate that holds only while the session still holds
/// both locks.
/// </summary>
/// <param name="Database">The database led.</param>
/// <param name="Epoch">Increases with every lease this process takes on any database.</param>
/// <param name="LeaderPid">pg_backend_pid() of the listening session that holds the lock.</param>
/// <param name="LeaderToken">The random bigint advisory key that session took right after the leader lock.</param>
internal sealed record Lease(string Database, long Epoch, int LeaderPid, long LeaderToken)
{
    /// <summary>
    /// A lease no session holds (pid 0 is no backend's). Only for statements that are
    /// planned and never run (<see cref="Dispatch.JobStateWriter.PlanEnqueueAsync"/>).
    /// </summary>
    public static Lease None { get; } = new(string.Empty, 0, 0, 0);
}
