using QueueExporter.QueueJob.Options;

namespace QueueExporter.Tests.QueueJob;

public class DurationParserTests
{
    [Theory]
    [InlineData("15", 15_000)]
    [InlineData("15s", 15_000)]
    [InlineData("500ms", 500)]
    [InlineData("1.5s", 1_500)]
    [InlineData("5m", 300_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("168h", 604_800_000)]
    public void A_number_with_an_optional_unit_is_read_as_a_duration(string text, long milliseconds)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), DurationParser.Parse(text, "--interval"));
    }

    [Theory]
    [InlineData("1e30")]
    [InlineData("1e300")]
    [InlineData("-5")]
    [InlineData("+5")]
    [InlineData("Infinity")]
    [InlineData("NaN")]
    [InlineData("")]
    [InlineData("s")]
    [InlineData("5 s")]
    [InlineData("5d")]
    [InlineData("1.2.3")]
    [InlineData("169h")]
    [InlineData("0")]
    [InlineData("0ms")]
    public void A_malformed_negative_zero_or_too_long_duration_is_refused_with_one_line_naming_the_option(string text)
    {
        var error = Assert.Throws<ArgumentException>(() => DurationParser.Parse(text, "--interval"));

        Assert.StartsWith("--interval: ", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void Zero_is_accepted_only_where_the_caller_allows_it()
    {
        Assert.Equal(TimeSpan.Zero, DurationParser.Parse("0", "--terminal-interval", allowZero: true));
    }

    [Theory]
    [InlineData(300_000, "5m")]
    [InlineData(15_000, "15s")]
    [InlineData(500, "500ms")]
    [InlineData(3_600_000, "1h")]
    [InlineData(0, "0s")]
    public void A_duration_is_written_back_in_the_largest_whole_unit(long milliseconds, string text)
    {
        Assert.Equal(text, DurationParser.Format(TimeSpan.FromMilliseconds(milliseconds)));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), DurationParser.Parse(text, "--x", allowZero: true));
    }
}
