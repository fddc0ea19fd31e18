namespace QueueExporter.Scraper.Database;

/// <summary>
/// Taken just before a terminal state is counted: how many completions into that state the
/// follower had counted per channel label by then. The count's result plus the completions
/// counted after this baseline is the state's current total until the next count.
/// </summary>
public sealed class TerminalCountBaseline
{
    internal TerminalCountBaseline(string state, IReadOnlyDictionary<string, long> completionsSoFar)
    {
        State = state;
        CompletionsSoFar = completionsSoFar;
    }

    /// <summary>The terminal state counted.</summary>
    public string State { get; }

    internal IReadOnlyDictionary<string, long> CompletionsSoFar { get; }
}
