namespace QueueExporter.Scraper.Database;

/// <summary>
/// Keeps the <c>exception</c> label of <c>queue_job_failures_total</c> bounded: the first
/// <c>capacity</c> distinct exc_name values keep their name, later ones become <c>other</c>.
/// A failure without exc_name (old 12.0 tables, or a job failed by hand) is <c>unknown</c>.
/// </summary>
public sealed class ExceptionLabels
{
    /// <summary>Label for exception names beyond the capacity.</summary>
    public const string Other = "other";

    /// <summary>Label for a failure without exc_name.</summary>
    public const string Unknown = "unknown";

    private readonly int _capacity;
    private readonly HashSet<string> _known = new(StringComparer.Ordinal);

    /// <summary>Creates the set; <paramref name="capacity"/> distinct names keep their own label.</summary>
    public ExceptionLabels(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        _capacity = capacity;
    }

    /// <summary>The label for a failure whose exc_name is <paramref name="exceptionName"/>.</summary>
    public string LabelFor(string? exceptionName)
    {
        if (string.IsNullOrWhiteSpace(exceptionName))
        {
            return Unknown;
        }

        var name = Labels.LabelValues.Truncate(exceptionName);
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
