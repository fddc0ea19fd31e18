namespace QueueExporter.QueueJob.Notifications;

/// <summary>
/// Capped exponential backoff with jitter (pure). Jitter keeps a fleet of listeners from reconnecting in
/// lock-step after a database restart; the cap keeps recovery prompt once the server is back.
/// </summary>
public sealed class ReconnectBackoff
{
    private readonly TimeSpan _initial;
    private readonly TimeSpan _max;
    private readonly Random _random;
    private int _failures;

    /// <summary>A backoff from <paramref name="initial"/> doubling to <paramref name="max"/>.</summary>
    public ReconnectBackoff(TimeSpan initial, TimeSpan max, Random? random = null)
    {
        _initial = initial;
        _max = max;
        _random = random ?? Random.Shared;
    }

    /// <summary>Consecutive failures since the last <see cref="Reset"/>.</summary>
    public int Failures => _failures;

    /// <summary>The delay before the next attempt, between 50% and 100% of the capped exponential value.</summary>
    public TimeSpan NextDelay()
    {
        var exponent = Math.Min(_failures, 30);
        _failures++;
        var raw = Math.Min(_initial.TotalMilliseconds * Math.Pow(2, exponent), _max.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(raw * (0.5 + (_random.NextDouble() * 0.5)));
    }

    /// <summary>Forget past failures (after a healthy connection).</summary>
    public void Reset() => _failures = 0;
}
