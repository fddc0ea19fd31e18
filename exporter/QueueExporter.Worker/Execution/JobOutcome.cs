namespace QueueExporter.Worker.Execution;

/// <summary>What running a job led to; the store turns it into a state change.</summary>
internal abstract record JobOutcome
{
    /// <summary>The metric label of this outcome.</summary>
    public abstract string Label { get; }

    /// <summary><c>started -> done</c>, with the handler's result.</summary>
    public sealed record Done(string? Result) : JobOutcome
    {
        public override string Label => JobOutcomeLabels.Done;
    }

    /// <summary><c>started -> pending</c>, not before <paramref name="Eta"/>.</summary>
    public sealed record Retry(DateTimeOffset Eta, string Message) : JobOutcome
    {
        public override string Label => JobOutcomeLabels.Retry;
    }

    /// <summary><c>started -> failed</c> with the exception fields.</summary>
    public sealed record Failed(string ExceptionName, string ExceptionMessage, string ExceptionInfo, bool UnknownFunction) : JobOutcome
    {
        public override string Label => UnknownFunction ? JobOutcomeLabels.UnknownFunction : JobOutcomeLabels.Failed;
    }
}
