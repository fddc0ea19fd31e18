namespace QueueExporter.Scraper.Logs;

/// <summary>Receives what a <see cref="LogTailer"/> reads.</summary>
public interface ILogLineSink
{
    /// <summary>One complete line, without its newline; the bytes are valid only during the call.</summary>
    void OnLine(ReadOnlySpan<byte> line, bool truncated);

    /// <summary>The tailer now reads a new file at the path, or the file was truncated: any open record ends.</summary>
    void OnFileRestarted();
}
