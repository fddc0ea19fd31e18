using Microsoft.Extensions.Logging;

namespace QueueExporter.Runner.Database;

/// <summary>
/// Opens pooled connections of a store ahead of their first use (<see cref="IRunnerStore.WarmUpAsync"/>), best effort:
/// a warm-up only saves its first user a connect, and that user connects and reports trouble by itself, so a
/// failure here is logged at debug and never thrown. Callers await it (it ends within the connect timeout or at
/// cancellation), so no warm-up outlives the session that started it.
/// </summary>
internal static class StoreWarmUp
{
    /// <summary>Opens <paramref name="connections"/> pooled connections at once and gives them back; never throws.</summary>
    public static async Task TryAsync(IRunnerStore store, int connections, string database, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            var opens = new Task[connections];
            for (var i = 0; i < opens.Length; i++)
            {
                opens[i] = store.WarmUpAsync(cancellationToken);
            }

            await Task.WhenAll(opens);
        }
#pragma warning disable CA1031 // Best effort by design: every use of the pool opens its own connection and reports its own failure.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            RunnerLog.WarmUpFailed(logger, database, ex.Message);
        }
    }
}
