namespace QueueExporter.Runner.Channels;

/// <summary>
/// A job whose uuid is not a canonical lowercase uuid (uppercase, braces, no hyphens, not a uuid at all:
/// any text PostgreSQL can store). Rare, so it carries its text in a subclass rather than every job a field.
/// </summary>
internal sealed class TextKeyedJob(int databaseIndex, string text) : ScheduledJob(databaseIndex, Guid.Empty)
{
    public string Text { get; } = text;
}
