namespace QueueExporter.Runner.Channels;

/// <summary>What the scheduler needs to know of one queue_job row.</summary>
/// <param name="Database">The database holding the row; jobs are keyed by (database, uuid).</param>
/// <param name="Uuid">The job's uuid as stored.</param>
/// <param name="State">The row's state (see <c>JobStates</c>); done, cancelled and wait_dependencies make the scheduler forget the job.</param>
/// <param name="Channel">The row's channel, full or without <c>root.</c>; null means root.</param>
/// <param name="Priority">Lower runs first.</param>
/// <param name="DateCreated">Second ordering key.</param>
/// <param name="Id">Third ordering key (the row's serial id).</param>
/// <param name="Eta">Do not run before this instant; null for none.</param>
public readonly record struct JobFacts(
    string Database,
    string Uuid,
    string State,
    string? Channel,
    int Priority,
    DateTimeOffset DateCreated,
    int Id,
    DateTimeOffset? Eta);
