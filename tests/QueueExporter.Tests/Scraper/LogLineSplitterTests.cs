using System.Text;
using QueueExporter.Scraper.Logs;
using Xunit;

namespace QueueExporter.Tests.Scraper;

public sealed class LogLineSplitterTests
{
    [Fact]
    public void A_partial_line_is_held_until_its_newline_arrives()
    {
        var splitter = new LogLineSplitter(1024);
        var lines = new List<(string Text, bool Truncated)>();

        splitter.Feed("first\nsec"u8, Collect(lines));
        Assert.Equal([("first", false)], lines);
        Assert.True(splitter.HasPartialLine);

        splitter.Feed("ond\nthird\n"u8, Collect(lines));
        Assert.Equal([("first", false), ("second", false), ("third", false)], lines);
        Assert.False(splitter.HasPartialLine);
    }

    [Fact]
    public void A_line_longer_than_the_limit_is_cut_and_marked()
    {
        var splitter = new LogLineSplitter(8);
        var lines = new List<(string Text, bool Truncated)>();

        splitter.Feed("0123456789abcdef"u8, Collect(lines));
        splitter.Feed("ghij\nok\n"u8, Collect(lines));

        Assert.Equal([("01234567", true), ("ok", false)], lines);
    }

    [Fact]
    public void A_whole_line_over_the_limit_inside_one_chunk_is_cut_too()
    {
        var splitter = new LogLineSplitter(4);
        var lines = new List<(string Text, bool Truncated)>();

        splitter.Feed("abcdefgh\nabc\n"u8, Collect(lines));

        Assert.Equal([("abcd", true), ("abc", false)], lines);
    }

    [Fact]
    public void Flush_hands_over_a_last_line_without_newline()
    {
        var splitter = new LogLineSplitter(64);
        var lines = new List<(string Text, bool Truncated)>();
        splitter.Feed("tail without newline"u8, Collect(lines));

        splitter.Flush(Collect(lines));
        splitter.Flush(Collect(lines));

        Assert.Equal([("tail without newline", false)], lines);
    }

    [Fact]
    public void Empty_lines_are_lines()
    {
        var splitter = new LogLineSplitter(64);
        var lines = new List<(string Text, bool Truncated)>();

        splitter.Feed("\n\n"u8, Collect(lines));

        Assert.Equal([(string.Empty, false), (string.Empty, false)], lines);
    }

    private static LogLineSplitter.LineHandler Collect(List<(string Text, bool Truncated)> lines) =>
        (line, truncated) => lines.Add((Encoding.UTF8.GetString(line), truncated));
}
