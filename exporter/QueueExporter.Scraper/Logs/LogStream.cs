using System.Text;
using System.Text.Unicode;

namespace QueueExporter.Scraper.Logs;

/// <summary>
/// Turns the physical lines of one log file into outcomes, remembering only which record is open
/// so that the lines of a traceback are counted with the record that started it. Pure and small:
/// it keeps no line text between calls, so a record of any length costs constant memory.
/// </summary>
/// <remarks>
/// A line is unparsed when it is not valid UTF-8, holds control characters (binary junk), was cut
/// because it exceeded the line limit, or is free text with no record open before it.
/// </remarks>
public sealed class LogStream
{
    private string? _openRecordLevel;

    /// <summary>Classifies one line (without its newline).</summary>
    /// <param name="line">The raw bytes; a trailing carriage return is ignored.</param>
    /// <param name="truncated">True when the line was longer than the limit and was cut.</param>
    public LogLineOutcome Accept(ReadOnlySpan<byte> line, bool truncated)
    {
        if (!line.IsEmpty && line[^1] == (byte)'\r')
        {
            line = line[..^1];
        }

        if (truncated || LooksBinary(line) || !Utf8.IsValid(line))
        {
            // A cut or broken line may be the start of a record we cannot read: what follows it is
            // not trusted as that record's continuation.
            _openRecordLevel = null;
            return new LogLineOutcome(LogLevels.Unparsed, null, null);
        }

        var text = Encoding.UTF8.GetString(line);
        var header = LogLineParser.ParseHeader(text);
        if (header is not null)
        {
            _openRecordLevel = header.Level;
            return new LogLineOutcome(header.Level, LogEventClassifier.Classify(header), header.Timestamp);
        }

        return _openRecordLevel is { } level
            ? new LogLineOutcome(level, null, null)
            : new LogLineOutcome(LogLevels.Unparsed, null, null);
    }

    /// <summary>Forgets the open record, e.g. when the file was rotated or truncated.</summary>
    public void Reset() => _openRecordLevel = null;

    private static bool LooksBinary(ReadOnlySpan<byte> line)
    {
        foreach (var b in line)
        {
            // Tab and ESC (colour codes) occur in text logs; any other control byte is junk.
            if ((b < 0x20 && b != (byte)'\t' && b != 0x1b) || b == 0x7f)
            {
                return true;
            }
        }

        return false;
    }
}
