using System.Globalization;
using System.Text.RegularExpressions;

namespace QueueExporter.Scraper.Logs;

/// <summary>
/// Recognises the prefix Odoo puts on the first line of every log record. Pure: no I/O, no clock.
/// A line that does not start with the full prefix is not a record header (it may be a traceback
/// continuation or junk; <see cref="LogStream"/> decides which).
/// </summary>
public static partial class LogLineParser
{
    private const string TimestampFormat = "yyyy-MM-dd HH:mm:ss,fff";

    /// <summary>Parses the header of a record, or returns null when the line is not one.</summary>
    public static LogRecordHeader? ParseHeader(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        var match = HeaderPattern().Match(line);
        if (!match.Success)
        {
            return null;
        }

        // Odoo writes local time without a zone; deployments that are monitored run in UTC, and
        // reading it as UTC keeps the exported timestamp free of the exporter's own zone.
        if (!DateTime.TryParseExact(
                match.Groups["ts"].ValueSpan,
                TimestampFormat,
                CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal,
                out var timestamp)
            || !int.TryParse(match.Groups["pid"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
        {
            return null;
        }

        return new LogRecordHeader(
            new DateTimeOffset(timestamp, TimeSpan.Zero),
            pid,
            LogLevels.FromLevelName(match.Groups["level"].ValueSpan),
            match.Groups["db"].Value,
            match.Groups["logger"].Value,
            match.Groups["msg"].Value);
    }

    // Bounded quantifiers keep a hostile line from costing more than a linear scan.
    [GeneratedRegex(
        @"^(?<ts>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3}) (?<pid>\d{1,9}) (?<level>[A-Z_]{1,20}) (?<db>\S{1,256}) (?<logger>[^\s:]{1,256}):(?: (?<msg>.*))?$",
        RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture)]
    private static partial Regex HeaderPattern();
}
