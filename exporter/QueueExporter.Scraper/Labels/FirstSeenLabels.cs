namespace QueueExporter.Scraper.Labels;

/// <summary>
/// Keeps a free-form label bounded for the life of the process: the first <c>capacity</c>
/// distinct values keep their (truncated) name, later ones become <see cref="Other"/>; a missing
/// value is <see cref="Unknown"/>. Used for <c>exception</c> (exc_name; none on old 12.0 tables or
/// a job failed by hand) and <c>function</c> (model_name.method_name). Thread-safe.
/// </summary>
public sealed class FirstSeenLabels
{
    /// <summary>Label for values beyond the capacity.</summary>
    public const string Other = "other";

    /// <summary>Label for a missing value.</summary>
    public const string Unknown = "unknown";

    private readonly int _capacity;
    private readonly HashSet<string> _known = new(StringComparer.Ordinal);

    /// <summary>Creates the set; <paramref name="capacity"/> distinct values keep their own label.</summary>
    public FirstSeenLabels(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        _capacity = capacity;
    }

    /// <summary>The label for <paramref name="value"/>.</summary>
    public string LabelFor(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return Unknown;
        }

        var name = LabelValues.Truncate(value);
        lock (_known)
        {
            if (_known.Contains(name))
            {
                return name;
            }

            if (_known.Count < _capacity)
            {
                _known.Add(name);
                return name;
            }
        }

        return Other;
    }
}
