using System.Text;
using System.Threading.Channels;
using QueueExporter.Scraper.Logs;

namespace QueueExporter.IntegrationTests.Scraper;

/// <summary>Keeps what a tailer hands over, and signals each line on a channel for tests that await it.</summary>
internal sealed class RecordingLineSink : ILogLineSink
{
    private readonly Channel<string> _arrivals = Channel.CreateUnbounded<string>();

    public List<string> Lines { get; } = [];

    public List<bool> Truncated { get; } = [];

    public int Restarts { get; private set; }

    public ChannelReader<string> Arrivals => _arrivals.Reader;

    public void OnLine(ReadOnlySpan<byte> line, bool truncated)
    {
        var text = Encoding.UTF8.GetString(line);
        Lines.Add(text);
        Truncated.Add(truncated);
        _arrivals.Writer.TryWrite(text);
    }

    public void OnFileRestarted() => Restarts++;
}
