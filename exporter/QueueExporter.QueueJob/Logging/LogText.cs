using System.Globalization;
using System.Text;

namespace QueueExporter.QueueJob.Logging;

/// <summary>
/// Values that come from outside (a request's query string, a row) made safe to write into a log line:
/// control characters (NUL, CR, LF, ESC, …) and the Unicode line separators would let a caller forge
/// lines, break Odoo-format parsers or drive a terminal, so they are written as <c>\xNN</c>/<c>\uNNNN</c>;
/// and a value is cut to a bounded length, so one request cannot make one huge log line.
/// </summary>
public static class LogText
{
    /// <summary>Characters kept of one value; longer ones end in an ellipsis.</summary>
    public const int DefaultMaxLength = 128;

    /// <summary>Whether <paramref name="value"/> holds a character <see cref="Escape"/> would rewrite.</summary>
    public static bool HasControlCharacters(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        foreach (var c in value)
        {
            if (IsUnsafe(c))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary><paramref name="value"/> with control characters escaped and at most <paramref name="maxLength"/> characters of it kept.</summary>
    public static string Escape(string? value, int maxLength = DefaultMaxLength)
    {
        if (value is null)
        {
            return "";
        }

        var cut = value.Length > maxLength;
        var kept = cut ? value[..maxLength] : value;
        if (!cut && !HasControlCharacters(kept))
        {
            return kept;
        }

        var result = new StringBuilder(kept.Length + 8);
        foreach (var c in kept)
        {
            if (!IsUnsafe(c))
            {
                result.Append(c);
            }
            else if (c <= '\u00ff')
            {
                result.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
            }
            else
            {
                result.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            }
        }

        return cut ? result.Append('…').ToString() : result.ToString();
    }

    // Cc (C0, DEL, C1) and the two Unicode line breaks that some viewers honour.
    private static bool IsUnsafe(char c) => char.IsControl(c) || c is '\u2028' or '\u2029';
}
