using QueueExporter.QueueJob.Schema;
using QueueExporter.Runner.Channels;

namespace QueueExporter.Runner.Database;

/// <summary>
/// Turns the raw values of one queue_job row into <see cref="JobFacts"/>, or names why it cannot. Any
/// row PostgreSQL can store must be survivable: the reader selects timestamps as epoch seconds (a
/// float8, so <c>infinity</c> and dates far outside .NET's range arrive as numbers, never as a
/// conversion exception), and this pure step clamps what is out of range and skips what cannot be
/// scheduled at all. A skipped row is counted and logged by the caller; it never stops the database.
/// </summary>
internal static class JobRowDecoder
{
    /// <summary>Longest uuid the runner will carry into a URL and a log line; Odoo's are 36 characters.</summary>
    public const int MaxUuidLength = 255;

    private static readonly double MinEpochSeconds = (DateTimeOffset.MinValue - DateTimeOffset.UnixEpoch).TotalSeconds;
    private static readonly double MaxEpochSeconds = (DateTimeOffset.MaxValue - DateTimeOffset.UnixEpoch).TotalSeconds;

    /// <summary>Decodes one row; on failure <paramref name="facts"/> is default and the result names the reason.</summary>
    /// <returns>Null when the row was decoded (perhaps with clamped timestamps, see <paramref name="clamped"/>), else a reason label.</returns>
    public static string? TryDecode(
        string database, string? uuid, string? state, string? channel, int priority, double? createdEpoch, int id, double? etaEpoch,
        out JobFacts facts, out bool clamped)
    {
        facts = default;
        clamped = false;
        if ((CheckUuidText(uuid) ?? CheckState(state)) is { } reason)
        {
            return reason;
        }

        // A missing creation date sorts first, as the row reader always did; a missing eta means none.
        var created = createdEpoch is { } c ? ToTicks(c, ref clamped) : DateTimeOffset.MinValue.UtcTicks;
        DateTimeOffset? eta = etaEpoch is { } e ? new DateTimeOffset(ToTicks(e, ref clamped), TimeSpan.Zero) : null;
        facts = new JobFacts(database, uuid!, state!, channel, priority, new DateTimeOffset(created, TimeSpan.Zero), id, eta);
        return null;
    }

    /// <summary>
    /// Decodes one row of a full load, where the reader has parsed a canonical uuid into <paramref name="uuid"/> (no
    /// string) and kept any other as <paramref name="uuidText"/>; the same checks and clamps as <see cref="TryDecode"/>.
    /// </summary>
    /// <returns>Null when the row was decoded (perhaps with clamped timestamps), else a reason label.</returns>
    public static string? TryDecodeLoaded(
        Guid? uuid, string? uuidText, string? state, string? channel, int priority, double? createdEpoch, int id, double? etaEpoch,
        out LoadedJob job, out bool clamped)
    {
        job = default;
        clamped = false;
        if (((uuid is null ? CheckUuidText(uuidText) : null) ?? CheckState(state)) is { } reason)
        {
            return reason;
        }

        // A text is keyed as the re-read of its notification keys it (that parses the text), whoever made it text.
        var key = uuid ?? (DatabaseJobs.TryParseCanonical(uuidText!, out var parsed) ? parsed : (Guid?)null);
        var created = createdEpoch is { } c ? ToTicks(c, ref clamped) : DateTimeOffset.MinValue.UtcTicks;
        var eta = etaEpoch is { } e ? ToTicks(e, ref clamped) : 0;
        job = new LoadedJob(key ?? Guid.Empty, key is null ? uuidText : null, state!, channel, priority, created, id, eta);
        return null;
    }

    private static string? CheckUuidText(string? uuid)
    {
        if (string.IsNullOrEmpty(uuid))
        {
            return SkipReasons.NullUuid;
        }

        return uuid.Length > MaxUuidLength || uuid.AsSpan().ContainsAnyInRange('\0', '\u001f') ? SkipReasons.BadUuid : null;
    }

    private static string? CheckState(string? state) =>
        state is null ? SkipReasons.NullState : !JobStates.IsKnown(state) ? SkipReasons.UnknownState : null;

    private static long ToTicks(double epochSeconds, ref bool clamped)
    {
        if (double.IsNaN(epochSeconds) || epochSeconds < MinEpochSeconds)
        {
            clamped = true;
            return DateTimeOffset.MinValue.UtcTicks;
        }

        if (epochSeconds > MaxEpochSeconds)
        {
            clamped = true;
            return DateTimeOffset.MaxValue.UtcTicks;
        }

        // Microseconds are PostgreSQL's resolution; rounding there keeps equal timestamps equal (a float8 holds
        // today's epoch to well under a microsecond; only dates centuries away lose digits, and they only sort).
        var ticks = DateTimeOffset.UnixEpoch.UtcTicks + ((long)Math.Round(epochSeconds * 1_000_000) * 10);
        return Math.Clamp(ticks, DateTimeOffset.MinValue.UtcTicks, DateTimeOffset.MaxValue.UtcTicks);
    }
}
