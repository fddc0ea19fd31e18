namespace QueueExporter.Scraper.Logs;

/// <summary>
/// Cuts a byte stream into lines. A line without its newline yet is held until the newline
/// arrives; a line longer than the limit keeps only its first <c>maxLineBytes</c> bytes and is
/// reported as truncated, so a file with no newline at all cannot grow memory without bound.
/// </summary>
public sealed class LogLineSplitter
{
    private readonly byte[] _pending;
    private int _pendingLength;
    private bool _pendingTruncated;

    /// <summary>Creates a splitter that holds at most <paramref name="maxLineBytes"/> bytes of one line.</summary>
    public LogLineSplitter(int maxLineBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLineBytes, 1);
        _pending = new byte[maxLineBytes];
    }

    /// <summary>Receives a complete line: its bytes (valid only during the call) and whether it was cut.</summary>
    public delegate void LineHandler(ReadOnlySpan<byte> line, bool truncated);

    /// <summary>True when part of a line is waiting for its newline.</summary>
    public bool HasPartialLine => _pendingLength > 0 || _pendingTruncated;

    /// <summary>Feeds bytes; calls <paramref name="onLine"/> for each line they complete.</summary>
    public void Feed(ReadOnlySpan<byte> data, LineHandler onLine)
    {
        ArgumentNullException.ThrowIfNull(onLine);
        while (!data.IsEmpty)
        {
            var newline = data.IndexOf((byte)'\n');
            var piece = newline < 0 ? data : data[..newline];
            if (_pendingLength == 0 && !_pendingTruncated && newline >= 0 && piece.Length <= _pending.Length)
            {
                // The common case: a whole line inside this chunk, handed over without copying.
                onLine(piece, false);
            }
            else
            {
                Append(piece);
                if (newline >= 0)
                {
                    EmitPending(onLine);
                }
            }

            data = newline < 0 ? [] : data[(newline + 1)..];
        }
    }

    /// <summary>Emits the held partial line as a line (the file it came from has ended).</summary>
    public void Flush(LineHandler onLine)
    {
        ArgumentNullException.ThrowIfNull(onLine);
        if (HasPartialLine)
        {
            EmitPending(onLine);
        }
    }

    /// <summary>Drops the held partial line.</summary>
    public void Clear()
    {
        _pendingLength = 0;
        _pendingTruncated = false;
    }

    private void Append(ReadOnlySpan<byte> piece)
    {
        var room = _pending.Length - _pendingLength;
        if (piece.Length > room)
        {
            _pendingTruncated = true;
            piece = piece[..room];
        }

        piece.CopyTo(_pending.AsSpan(_pendingLength));
        _pendingLength += piece.Length;
    }

    private void EmitPending(LineHandler onLine)
    {
        onLine(_pending.AsSpan(0, _pendingLength), _pendingTruncated);
        Clear();
    }
}
