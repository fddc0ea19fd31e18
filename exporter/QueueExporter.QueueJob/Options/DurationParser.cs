using System.Globalization;

namespace QueueExporter.QueueJob.Options;

/// <summary>
/// The one duration syntax of every command: a decimal number and an optional unit, <c>ms</c>, <c>s</c>,
/// <c>m</c> or <c>h</c> (a bare number is seconds): <c>15</c>, <c>15s</c>, <c>500ms</c>, <c>1.5m</c>,
/// <c>1h</c>. No sign, no exponent, no spaces. A value must be positive (zero only where the caller
/// allows it, e.g. to disable a loop) and at most <see cref="Maximum"/>: timers cannot wait longer
/// than about 24 days, and no interval or timeout of ours makes sense beyond a week. Pure: no I/O.
/// </summary>
public static class DurationParser
{
    /// <summary>The longest duration any option takes: 7 days.</summary>
    public static readonly TimeSpan Maximum = TimeSpan.FromDays(7);

    /// <summary>The examples quoted in error messages and help.</summary>
    public const string Examples = "e.g. 500ms, 15s, 5m, 1h; a bare number is seconds";

    /// <summary>Parses <paramref name="text"/>; false with a one-line <paramref name="error"/> (without the option name) when invalid.</summary>
    public static bool TryParse(string? text, out TimeSpan value, out string error, bool allowZero = false)
    {
        value = TimeSpan.Zero;
        error = string.Empty;
        var input = text ?? string.Empty;
        var (number, secondsPerUnit) = input switch
        {
            _ when input.EndsWith("ms", StringComparison.Ordinal) => (input[..^2], 0.001),
            _ when input.EndsWith('s') => (input[..^1], 1.0),
            _ when input.EndsWith('m') => (input[..^1], 60.0),
            _ when input.EndsWith('h') => (input[..^1], 3600.0),
            _ => (input, 1.0),
        };
        if (!IsDecimal(number) || !double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount))
        {
            error = $"'{text}' is not a duration ({Examples})";
            return false;
        }

        var seconds = amount * secondsPerUnit;
        if (seconds > Maximum.TotalSeconds)
        {
            error = $"'{text}' is longer than the maximum of 7 days (168h)";
            return false;
        }

        value = TimeSpan.FromSeconds(seconds);
        if (value == TimeSpan.Zero && !allowZero)
        {
            error = $"'{text}' must be positive";
            return false;
        }

        return true;
    }

    /// <summary>Parses <paramref name="text"/> or throws <see cref="ArgumentException"/> with one line naming <paramref name="option"/>.</summary>
    public static TimeSpan Parse(string? text, string option, bool allowZero = false) =>
        TryParse(text, out var value, out var error, allowZero) ? value : throw new ArgumentException($"{option}: {error}");

    /// <summary>Writes a duration the way the parser reads it, in the largest unit that keeps it whole: <c>5m</c>, <c>15s</c>, <c>500ms</c>.</summary>
    public static string Format(TimeSpan value) => value switch
    {
        _ when value > TimeSpan.Zero && value.Ticks % TimeSpan.TicksPerHour == 0 => FormattableString.Invariant($"{value.Ticks / TimeSpan.TicksPerHour}h"),
        _ when value > TimeSpan.Zero && value.Ticks % TimeSpan.TicksPerMinute == 0 => FormattableString.Invariant($"{value.Ticks / TimeSpan.TicksPerMinute}m"),
        _ when value.Ticks % TimeSpan.TicksPerSecond == 0 => FormattableString.Invariant($"{value.Ticks / TimeSpan.TicksPerSecond}s"),
        _ => FormattableString.Invariant($"{value.TotalMilliseconds}ms"),
    };

    // Digits with at most one decimal point and at least one digit: refuses signs, exponents, spaces, "Infinity" and "NaN".
    private static bool IsDecimal(string number) =>
        number.Length > 0
        && number.All(c => c is (>= '0' and <= '9') or '.')
        && number.Count(c => c == '.') <= 1
        && number.Any(char.IsAsciiDigit);
}
