namespace QueueExporter.Scraper.Logs;

/// <summary>
/// Connects one followed file to the metrics: each line goes through its own <see cref="LogStream"/>
/// (which remembers the open record of that file only) and is counted under the file's label.
/// </summary>
public sealed class LogFileMonitor : ILogLineSink
{
    private readonly string _fileLabel;
    private readonly LogMetrics _metrics;
    private readonly LogStream _stream = new();

    /// <summary>Creates the monitor; <paramref name="fileLabel"/> is the path as the operator configured it.</summary>
    public LogFileMonitor(string fileLabel, LogMetrics metrics)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileLabel);
        ArgumentNullException.ThrowIfNull(metrics);
        _fileLabel = fileLabel;
        _metrics = metrics;
    }

    /// <inheritdoc />
    public void OnLine(ReadOnlySpan<byte> line, bool truncated) =>
        _metrics.Record(_fileLabel, _stream.Accept(line, truncated));

    /// <inheritdoc />
    public void OnFileRestarted() => _stream.Reset();
}
