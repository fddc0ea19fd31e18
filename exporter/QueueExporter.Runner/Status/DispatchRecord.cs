namespace QueueExporter.Runner.Status;

/// <summary>One runjob call as the status page lists it.</summary>
/// <param name="At">When the worker's answer (or its absence) was known.</param>
/// <param name="Database">The job's database.</param>
/// <param name="Channel">The job's channel as its row names it (user data: shown escaped).</param>
/// <param name="Uuid">The job's uuid.</param>
/// <param name="Outcome">The <c>outcome</c> label of <c>queue_runner_dispatches_total</c>: ok, http_error, timeout, connection_error, refused.</param>
public sealed record DispatchRecord(DateTimeOffset At, string Database, string Channel, string Uuid, string Outcome);
