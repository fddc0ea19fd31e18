namespace QueueExporter.Scraper.Database;

/// <summary>
/// The scraper's refresh cadence, in one place: run now, then once per interval, until cancelled
/// (cancellation is the normal way out). A refresh catches its own database errors; a tick missed
/// while one runs long is not made up, so slow refreshes never pile up.
/// </summary>
internal static class PeriodicRefresh
{
    public static async Task RunAsync(TimeSpan interval, TimeProvider clock, Func<CancellationToken, Task> refresh, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval, clock);
        try
        {
            do
            {
                await refresh(cancellationToken);
            }
            while (await timer.WaitForNextTickAsync(cancellationToken));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Normal stop.
        }
    }
}
