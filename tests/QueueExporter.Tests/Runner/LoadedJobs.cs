using QueueExporter.Runner.Channels;

namespace QueueExporter.Tests.Runner;

/// <summary>Test rows of a full load, written as the readable <see cref="JobFacts"/> the other tests use.</summary>
internal static class LoadedJobs
{
    /// <summary>The load's form of <paramref name="facts"/>: a canonical uuid as a Guid, any other as its text.</summary>
    public static LoadedJob Of(JobFacts facts) =>
        DatabaseJobs.TryParseCanonical(facts.Uuid, out var uuid)
            ? Of(facts, uuid, null)
            : Of(facts, Guid.Empty, facts.Uuid);

    private static LoadedJob Of(JobFacts facts, Guid uuid, string? text) =>
        new(uuid, text, facts.State, facts.Channel, facts.Priority, facts.DateCreated.UtcTicks, facts.Id, facts.Eta?.UtcTicks ?? 0);
}
