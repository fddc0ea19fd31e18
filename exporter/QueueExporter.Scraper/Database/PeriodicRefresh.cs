namespace QueueExporter.Scraper.Database;

/// <summary>
/// The scraper's refresh cadence, in one place: run now, then again one period after each start,
/// until cancelled (cancellation is the normal way out). The period is the interval, stretched by
/// <see cref="RefreshPacing"/> when a refresh is slow; a refresh catches its own database errors,
/// and refreshes never overlap or pile up.
/// </summary>
internal static class PeriodicRefresh
{
    /// <param name="interval">The configured period.</param>
    /// <param name="clock">Time source (a fake one in tests).</param>
    /// <param name="refresh">One refresh.</param>
    /// <param name="cancellationToken">Stops the loop.</param>
    /// <param name="onPeriod">Told the period chosen after each refresh (for a metric and a log line).</param>
    public static async Task RunAsync(
        TimeSpan interval,
        TimeProvider clock,
        Func<CancellationToken, Task> refresh,
        CancellationToken cancellationToken,
        Action<TimeSpan>? onPeriod = null)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var started = clock.GetTimestamp();
                await refresh(cancellationToken);
                var took = clock.GetElapsedTime(started);
                var period = RefreshPacing.PeriodAfter(interval, took);
                onPeriod?.Invoke(period);
                if (period > took)
                {
                    await Task.Delay(period - took, clock, cancellationToken);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Normal stop.
        }
    }
}
