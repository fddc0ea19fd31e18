namespace QueueExporter.Runner.Rescue;

/// <summary>A dead job the rescue moved, and the state it was given (pending, or failed once its retries are exhausted).</summary>
internal readonly record struct RescuedJob(string Uuid, string NewState);
