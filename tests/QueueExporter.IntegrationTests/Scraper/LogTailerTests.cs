using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using QueueExporter.Scraper.Logs;
using Xunit;

namespace QueueExporter.IntegrationTests.Scraper;

/// <summary>
/// The tailer on real files. Each test polls explicitly (or drives the loop with a fake clock and
/// awaits the line), so nothing waits on wall-clock time.
/// </summary>
public sealed class LogTailerTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("queue-exporter-tail-").FullName;
    private readonly string _path;

    public LogTailerTests() => _path = Path.Combine(_directory, "odoo.log");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Following_starts_at_the_end_of_an_existing_file()
    {
        File.WriteAllText(_path, "old one\nold two\n");
        var (tailer, sink) = Follow();
        using var _ = tailer;

        tailer.Poll();
        File.AppendAllText(_path, "new\n");
        tailer.Poll();

        Assert.Equal(["new"], sink.Lines);
    }

    [Fact]
    public void Following_from_the_start_reads_existing_lines_when_asked()
    {
        File.WriteAllText(_path, "old one\nold two\n");
        var (tailer, sink) = Follow(new LogTailerOptions { StartAtEnd = false });
        using var _ = tailer;

        tailer.Poll();

        Assert.Equal(["old one", "old two"], sink.Lines);
    }

    [Fact]
    public void A_partial_last_line_is_held_until_its_newline_is_written()
    {
        File.WriteAllText(_path, string.Empty);
        var (tailer, sink) = Follow();
        using var _ = tailer;
        tailer.Poll();

        File.AppendAllText(_path, "complete\nhalf of a li");
        tailer.Poll();
        Assert.Equal(["complete"], sink.Lines);

        File.AppendAllText(_path, "ne\n");
        tailer.Poll();
        Assert.Equal(["complete", "half of a line"], sink.Lines);
    }

    [Fact]
    public void Rotation_by_rename_finishes_the_old_file_then_reads_the_new_one_from_its_start()
    {
        File.WriteAllText(_path, string.Empty);
        var (tailer, sink) = Follow();
        using var _ = tailer;
        tailer.Poll();
        File.AppendAllText(_path, "before rotation\n");
        tailer.Poll();

        // Written after the last poll, then rotated away: must still be read from the old file.
        File.AppendAllText(_path, "last line of the old file\nunterminated tail");
        File.Move(_path, _path + ".1");
        File.WriteAllText(_path, "first line of the new file\n");
        tailer.Poll();

        Assert.Equal(
            ["before rotation", "last line of the old file", "unterminated tail", "first line of the new file"],
            sink.Lines);
        Assert.Equal(1, sink.Restarts);

        File.AppendAllText(_path, "second line of the new file\n");
        File.AppendAllText(_path + ".1", "late write to the rotated file\n");
        tailer.Poll();
        Assert.Equal("second line of the new file", sink.Lines[^1]);
        Assert.Equal(5, sink.Lines.Count);
    }

    [Fact]
    public void Rotation_waits_for_the_new_file_and_reads_it_when_it_appears()
    {
        File.WriteAllText(_path, string.Empty);
        var (tailer, sink) = Follow();
        using var _ = tailer;
        tailer.Poll();

        File.AppendAllText(_path, "old\n");
        File.Move(_path, _path + ".1");
        tailer.Poll();
        Assert.Equal(["old"], sink.Lines);

        File.WriteAllText(_path, "new\n");
        tailer.Poll();
        Assert.Equal(["old", "new"], sink.Lines);
    }

    [Fact]
    public void Truncation_restarts_reading_at_the_start_of_the_file()
    {
        File.WriteAllText(_path, string.Empty);
        var (tailer, sink) = Follow();
        using var _ = tailer;
        tailer.Poll();
        File.AppendAllText(_path, "a long line before the truncation\nanother one\n");
        tailer.Poll();

        using (var stream = new FileStream(_path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            stream.SetLength(0);
        }

        File.AppendAllText(_path, "after\n");
        tailer.Poll();

        Assert.Equal(["a long line before the truncation", "another one", "after"], sink.Lines);
        Assert.Equal(1, sink.Restarts);
    }

    [Fact]
    public void A_file_that_appears_later_is_read_from_its_start()
    {
        var (tailer, sink) = Follow();
        using var _ = tailer;
        tailer.Poll();
        Assert.Empty(sink.Lines);

        File.WriteAllText(_path, "written before the first poll that saw the file\n");
        tailer.Poll();

        Assert.Equal(["written before the first poll that saw the file"], sink.Lines);
    }

    [Fact]
    public void A_line_without_newline_longer_than_the_limit_is_cut_not_kept()
    {
        File.WriteAllText(_path, string.Empty);
        var (tailer, sink) = Follow(new LogTailerOptions { MaxLineBytes = 1024 });
        using var _ = tailer;
        tailer.Poll();

        File.AppendAllText(_path, new string('x', 300_000));
        tailer.Poll();
        File.AppendAllText(_path, "\nnext\n");
        tailer.Poll();

        Assert.Equal([1024, 4], sink.Lines.Select(l => l.Length));
        Assert.Equal([true, false], sink.Truncated);
    }

    [Fact]
    public async Task The_polling_loop_reads_appended_lines_on_each_tick_of_its_clock()
    {
        File.WriteAllText(_path, string.Empty);
        var clock = new FakeTimeProvider();
        var (tailer, sink) = Follow(new LogTailerOptions { PollInterval = TimeSpan.FromSeconds(1) });
        using var _ = tailer;
        using var cancellation = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var loop = tailer.RunAsync(clock, cancellation.Token);

        File.AppendAllText(_path, "appended\n");
        clock.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal("appended", await sink.Arrivals.ReadAsync(cancellation.Token));
        await cancellation.CancelAsync();
        await loop;
    }

    private (LogTailer Tailer, RecordingLineSink Sink) Follow(LogTailerOptions? options = null)
    {
        var sink = new RecordingLineSink();
        return (new LogTailer(_path, options ?? new LogTailerOptions(), sink, NullLogger<LogTailer>.Instance), sink);
    }
}
