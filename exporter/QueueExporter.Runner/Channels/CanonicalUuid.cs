using System.Buffers.Text;

namespace QueueExporter.Runner.Channels;

/// <summary>
/// What the scheduler keys by <see cref="Guid"/>: a canonical lowercase uuid, the exact 36-character form that
/// round-trips through <c>Guid.ToString("D")</c> (what Odoo writes). Anything else is kept as its text
/// (<see cref="TextKeyedJob"/>), so uppercase, braced or unhyphenated spellings stay distinct jobs.
/// </summary>
internal static class CanonicalUuid
{
    /// <summary>Length of the canonical form.</summary>
    public const int Length = 36;

    /// <summary>Parses <paramref name="uuid"/> when it is canonical.</summary>
    public static bool TryParse(string uuid, out Guid guid)
    {
        guid = default;
        return uuid.Length == Length && !uuid.AsSpan().ContainsAnyInRange('A', 'F') && Guid.TryParseExact(uuid, "D", out guid);
    }

    /// <summary>
    /// Parses UTF-8 bytes as they come off the wire when they are a canonical uuid: a million-row load then needs
    /// no string per row. Any non-ASCII byte fails the hexadecimal test, so the bytes are the text's own.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> utf8, out Guid guid)
    {
        guid = default;
        return utf8.Length == Length
            && !utf8.ContainsAnyInRange((byte)'A', (byte)'F')
            && Utf8Parser.TryParse(utf8, out guid, out var consumed, 'D')
            && consumed == Length;
    }
}
