namespace QueueExporter.Commands;

/// <summary>
/// Lets the runner's socket completions run on the socket engine's own thread instead of being handed, one by
/// one, to a thread-pool worker. Each job costs the runner several completions (its re-reads, its share of the
/// enqueue UPDATE, the runjob answer, notifications); with .NET's default every one of them wakes a pool worker
/// through a futex and switches threads, which a profile of the runner under the <c>processes</c> benchmark put
/// at about a fifth of its CPU (docs/benchmarks.md, "Runner CPU per job, round three").
/// <para>
/// Safe for the runner because nothing in it blocks a thread while awaiting I/O: every continuation after a
/// socket read is short (decode rows, post a fact, start the next request) and ends at its next await. The
/// runtime reads the setting only from the environment, once, when the first socket is registered, so it is
/// set before the host starts. A value the operator gave (e.g. <c>0</c> to turn it off) is left alone.
/// </para>
/// </summary>
internal static class InlineSocketCompletions
{
    /// <summary>The runtime's variable; "1" turns inline completions on.</summary>
    public const string Variable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>Turns them on for this process unless the environment already says.</summary>
    public static void EnableUnlessConfigured()
    {
        if (ValueToSet(Environment.GetEnvironmentVariable(Variable)) is { } value)
        {
            Environment.SetEnvironmentVariable(Variable, value);
        }
    }

    /// <summary>The value to set given the one configured: "1" when none is, nothing when the operator chose.</summary>
    public static string? ValueToSet(string? configured) => configured is null ? "1" : null;
}
