namespace QueueExporter.Runner.Rescue;

/// <summary>A job the rescue put back: its uuid and the state it was given (pending, or failed when out of retries).</summary>
internal readonly record struct RescuedJob(string Uuid, string NewState);
