using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

namespace QueueExporter.Scraper.Logs;

/// <summary>
/// Follows one file as <c>tail -F</c> does, by polling: reads what was appended, holds a partial
/// last line until its newline arrives, notices rotation by rename (the path now names another
/// inode: finish the old file, then read the new one from its start), truncation (the file is
/// shorter than what was read: start again at 0) and a file that appears after following began.
/// </summary>
/// <remarks>Not thread-safe: one loop calls <see cref="Poll"/>.</remarks>
public sealed partial class LogTailer : IDisposable
{
    private const int ReadChunkBytes = 64 * 1024;

    private readonly string _path;
    private readonly LogTailerOptions _options;
    private readonly ILogLineSink _sink;
    private readonly ILogger _logger;
    private readonly LogLineSplitter _splitter;
    private readonly LogLineSplitter.LineHandler _onLine;
    private readonly byte[] _buffer = new byte[ReadChunkBytes];

    private SafeFileHandle? _handle;
    private FileIdentity? _identity;
    private long _position;
    private bool _firstOpenAttempted;
    private string? _lastError;

    /// <summary>Creates a tailer of <paramref name="path"/>; nothing is read before the first <see cref="Poll"/>.</summary>
    public LogTailer(string path, LogTailerOptions options, ILogLineSink sink, ILogger<LogTailer> logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(sink);
        ArgumentNullException.ThrowIfNull(logger);
        options.Validate();
        _path = path;
        _options = options;
        _sink = sink;
        _logger = logger;
        _splitter = new LogLineSplitter(options.MaxLineBytes);
        _onLine = sink.OnLine;
    }

    /// <summary>The followed path, as configured.</summary>
    public string Path => _path;

    /// <summary>Polls every <see cref="LogTailerOptions.PollInterval"/> until cancelled.</summary>
    public async Task RunAsync(TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        using var timer = new PeriodicTimer(_options.PollInterval, timeProvider);
        do
        {
            Poll();
        }
        while (await WaitAsync(timer, cancellationToken));
    }

    /// <summary>Reads everything new once and handles rotation and truncation.</summary>
    public void Poll()
    {
        try
        {
            PollFile();
            ReportError(null);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            ReportError(ex.Message);
        }
    }

    /// <inheritdoc />
    public void Dispose() => CloseHandle();

    private void PollFile()
    {
        if (_handle is null && !TryOpen(startAtEnd: !_firstOpenAttempted && _options.StartAtEnd))
        {
            return;
        }

        if (RandomAccess.GetLength(_handle!) < _position)
        {
            LogTruncated(_logger, _path);
            _position = 0;
            _splitter.Clear();
            _sink.OnFileRestarted();
        }

        ReadToEnd();

        var atPath = FileIdentity.OfPath(_path);
        if (atPath is not null && _identity is not null && atPath != _identity)
        {
            // The old file is finished (ReadToEnd above read its tail); a line it left without a
            // newline will never be completed, so it is handed over as it is.
            _splitter.Flush(_onLine);
            CloseHandle();
            LogRotated(_logger, _path);
            _sink.OnFileRestarted();
            if (TryOpen(startAtEnd: false))
            {
                ReadToEnd();
            }
        }
    }

    private bool TryOpen(bool startAtEnd)
    {
        _firstOpenAttempted = true;
        try
        {
            _handle = File.OpenHandle(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return false;
        }

        _identity = FileIdentity.OfHandle(_handle);
        _position = startAtEnd ? RandomAccess.GetLength(_handle) : 0;
        _splitter.Clear();
        LogOpened(_logger, _path, _position);
        return true;
    }

    private void ReadToEnd()
    {
        int read;
        while ((read = RandomAccess.Read(_handle!, _buffer, _position)) > 0)
        {
            _position += read;
            _splitter.Feed(_buffer.AsSpan(0, read), _onLine);
        }
    }

    private void CloseHandle()
    {
        _handle?.Dispose();
        _handle = null;
        _identity = null;
    }

    private void ReportError(string? error)
    {
        if (error != _lastError && error is not null)
        {
            LogReadFailed(_logger, _path, error);
        }

        _lastError = error;
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Following log file {Path} from byte {Position}")]
    private static partial void LogOpened(ILogger logger, string path, long position);

    [LoggerMessage(Level = LogLevel.Information, Message = "Log file {Path} was rotated: reading the new file from its start")]
    private static partial void LogRotated(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "Log file {Path} was truncated: reading again from its start")]
    private static partial void LogTruncated(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot read log file {Path}: {Error}")]
    private static partial void LogReadFailed(ILogger logger, string path, string error);
}
