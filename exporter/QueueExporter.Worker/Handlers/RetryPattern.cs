using System.Globalization;

namespace QueueExporter.Worker.Handlers;

/// <summary>
/// How long a job waits before its next attempt, by attempt number, as Odoo's per-function
/// <c>retry_pattern</c>: <c>{1: 10s, 5: 60s}</c> waits 10 s after attempts 1 to 4 and 60 s from
/// attempt 5 on. Before the first step (or without a pattern) the worker's default delay applies.
/// </summary>
public sealed class RetryPattern
{
    private readonly KeyValuePair<int, TimeSpan>[] _steps;

    /// <summary>Steps from attempt number (1 = the first run) to delay.</summary>
    public RetryPattern(IReadOnlyDictionary<int, TimeSpan> steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        if (steps.Count == 0)
        {
            throw new ArgumentException("a retry pattern needs at least one step", nameof(steps));
        }

        foreach (var (attempt, delay) in steps)
        {
            if (attempt < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(steps), attempt, "retry pattern attempts start at 1");
            }

            if (delay < TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(nameof(steps), delay, "a retry delay cannot be negative");
            }
        }

        _steps = [.. steps.OrderBy(s => s.Key)];
    }

    /// <summary>
    /// Parses Odoo's notation in seconds, braces optional: <c>{1: 10, 5: 60}</c> or <c>1:10,5:60</c>.
    /// </summary>
    /// <exception cref="FormatException">Naming the part that is wrong.</exception>
    public static RetryPattern Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var steps = new Dictionary<int, TimeSpan>();
        foreach (var part in text.Trim().TrimStart('{').TrimEnd('}').Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var pieces = part.Split(':', StringSplitOptions.TrimEntries);
            if (pieces.Length != 2
                || !int.TryParse(pieces[0], NumberStyles.None, CultureInfo.InvariantCulture, out var attempt)
                || !double.TryParse(pieces[1], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds))
            {
                throw new FormatException($"retry pattern step '{part}' is not attempt:seconds");
            }

            if (!steps.TryAdd(attempt, TimeSpan.FromSeconds(seconds)))
            {
                throw new FormatException($"retry pattern names attempt {attempt} twice");
            }
        }

        return new RetryPattern(steps);
    }

    /// <summary>The delay after attempt <paramref name="attempt"/>, or null before the first step.</summary>
    public TimeSpan? DelayAfter(int attempt)
    {
        TimeSpan? delay = null;
        foreach (var (from, value) in _steps)
        {
            if (attempt < from)
            {
                break;
            }

            delay = value;
        }

        return delay;
    }

    /// <inheritdoc/>
    public override string ToString() =>
        "{" + string.Join(", ", _steps.Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Key}: {s.Value.TotalSeconds:0.###}"))) + "}";
}
