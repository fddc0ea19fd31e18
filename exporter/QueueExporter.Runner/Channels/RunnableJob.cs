namespace QueueExporter.Runner.Channels;

/// <summary>A job the scheduler has just let start; it now counts as running in its channel and every ancestor.</summary>
/// <param name="Database">Database of the row.</param>
/// <param name="Uuid">The uuid as stored in the row.</param>
/// <param name="Channel">Full name of the channel whose limits it runs in (a configured channel, never a job's free-form subchannel).</param>
/// <param name="RunnableSince">When it became runnable for the runner: its load or notification, or its eta passing if later.</param>
public readonly record struct RunnableJob(string Database, string Uuid, string Channel, DateTimeOffset RunnableSince);
