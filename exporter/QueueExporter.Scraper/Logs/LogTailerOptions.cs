namespace QueueExporter.Scraper.Logs;

/// <summary>How a <see cref="LogTailer"/> follows its file.</summary>
public sealed class LogTailerOptions
{
    /// <summary>Default <see cref="PollInterval"/>: one second.</summary>
    public static readonly TimeSpan DefaultPollInterval = TimeSpan.FromSeconds(1);

    /// <summary>Default <see cref="MaxLineBytes"/>: 64 KiB.</summary>
    public const int DefaultMaxLineBytes = 64 * 1024;

    /// <summary>How often the file is checked for new data, rotation and truncation.</summary>
    public TimeSpan PollInterval { get; init; } = DefaultPollInterval;

    /// <summary>
    /// Start at the end of a file that exists when following begins (as <c>tail -F</c> does), so a
    /// restart does not count old lines again. A file that appears later is always read from its start.
    /// </summary>
    public bool StartAtEnd { get; init; } = true;

    /// <summary>Bytes kept of one line; the rest of a longer line is dropped and the line counted as unparsed.</summary>
    public int MaxLineBytes { get; init; } = DefaultMaxLineBytes;

    /// <summary>Throws with a message naming the setting when a value is out of range.</summary>
    public void Validate()
    {
        if (PollInterval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(PollInterval), PollInterval, "The log poll interval must be positive.");
        }

        if (MaxLineBytes < 256)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxLineBytes), MaxLineBytes, "The maximum log line length must be at least 256 bytes.");
        }
    }
}
