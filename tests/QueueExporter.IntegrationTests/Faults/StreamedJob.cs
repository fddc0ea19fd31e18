namespace QueueExporter.IntegrationTests.Faults;

/// <summary>A job a <see cref="JobStream"/> enqueued: its uuid, how long it runs, and the state its handler leads to.</summary>
public sealed record StreamedJob(string Uuid, double Seconds, string Mode, string ExpectedState);
