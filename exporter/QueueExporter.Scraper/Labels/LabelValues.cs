namespace QueueExporter.Scraper.Labels;

/// <summary>
/// Keeps free-form label values (channels, exception names) short: a value longer than
/// <see cref="MaxLength"/> characters is cut and ends in <see cref="TruncationMarker"/>, so a
/// reader sees it was cut and a pathological value cannot make every series it labels huge.
/// </summary>
public static class LabelValues
{
    /// <summary>Longest label value exported, in characters, marker included.</summary>
    public const int MaxLength = 100;

    /// <summary>Ends a value that was cut.</summary>
    public const string TruncationMarker = "…";

    /// <summary><paramref name="value"/> itself when short enough, else its first characters and the marker.</summary>
    public static string Truncate(string value, int maxLength = MaxLength)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, TruncationMarker.Length + 1);
        if (value.Length <= maxLength)
        {
            return value;
        }

        var keep = maxLength - TruncationMarker.Length;
        // Never split a surrogate pair: half of one is invalid UTF-16 and would be exported as junk.
        if (char.IsHighSurrogate(value[keep - 1]))
        {
            keep--;
        }

        return string.Concat(value.AsSpan(0, keep), TruncationMarker);
    }
}
