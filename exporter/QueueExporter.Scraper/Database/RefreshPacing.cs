namespace QueueExporter.Scraper.Database;

/// <summary>
/// How long from the start of one refresh to the start of the next. A refresh may keep the
/// database busy for at most a quarter of the time: one that takes longer than a quarter of the
/// configured interval stretches the period to four times its own duration, up to
/// <see cref="MaxStretch"/> times the interval. A database that is slow because it is overloaded
/// then gets fewer of our queries, not more, and the period returns to the interval as soon as a
/// refresh is fast again. Pure: the caller measures the duration.
/// </summary>
public static class RefreshPacing
{
    /// <summary>The period is at least this many times the last refresh's duration.</summary>
    public const int DurationFactor = 4;

    /// <summary>The period never exceeds this many times the configured interval.</summary>
    public const int MaxStretch = 8;

    /// <summary>The period to wait from the start of a refresh that took <paramref name="lastDuration"/> to the start of the next.</summary>
    public static TimeSpan PeriodAfter(TimeSpan interval, TimeSpan lastDuration)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        var wanted = lastDuration > TimeSpan.Zero ? lastDuration * DurationFactor : TimeSpan.Zero;
        var longest = interval * MaxStretch;
        return wanted <= interval ? interval : wanted >= longest ? longest : wanted;
    }
}
