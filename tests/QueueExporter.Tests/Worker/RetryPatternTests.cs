using QueueExporter.Worker.Handlers;

namespace QueueExporter.Tests.Worker;

public class RetryPatternTests
{
    private static readonly RetryPattern Pattern = new(new Dictionary<int, TimeSpan> { [5] = TimeSpan.FromSeconds(60), [1] = TimeSpan.FromSeconds(10) });

    [Theory]
    [InlineData(1, 10)]
    [InlineData(4, 10)]
    [InlineData(5, 60)]
    [InlineData(50, 60)]
    public void Each_step_applies_from_its_attempt_until_the_next_step(int attempt, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), Pattern.DelayAfter(attempt));

    [Fact]
    public void Before_the_first_step_there_is_no_delay_so_the_default_applies() =>
        Assert.Null(RetryPattern.Parse("3: 30").DelayAfter(2));

    [Fact]
    public void Odoo_notation_with_braces_parses_and_prints_back()
    {
        var pattern = RetryPattern.Parse("{1: 10, 5: 20.5, 10: 60}");

        Assert.Equal(TimeSpan.FromSeconds(20.5), pattern.DelayAfter(7));
        Assert.Equal("{1: 10, 5: 20.5, 10: 60}", pattern.ToString());
    }

    [Theory]
    [InlineData("1=10")]
    [InlineData("x: 10")]
    [InlineData("1: ten")]
    [InlineData("1: 10, 1: 20")]
    [InlineData("1: -5")]
    public void A_malformed_pattern_is_a_format_error_naming_the_step(string text) =>
        Assert.Throws<FormatException>(() => RetryPattern.Parse(text));

    [Fact]
    public void Attempts_start_at_one() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new RetryPattern(new Dictionary<int, TimeSpan> { [0] = TimeSpan.FromSeconds(1) }));
}
