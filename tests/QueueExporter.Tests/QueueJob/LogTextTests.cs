using QueueExporter.QueueJob.Logging;
using Xunit;

namespace QueueExporter.Tests.QueueJob;

public class LogTextTests
{
    [Theory]
    [InlineData("5e1b2f2c-0d5f-4c8e-9a56-0c1f3e2b7d10", "5e1b2f2c-0d5f-4c8e-9a56-0c1f3e2b7d10")]
    [InlineData("a\0b", @"a\x00b")]
    [InlineData("line\r\nforged", @"line\x0d\x0aforged")]
    [InlineData("\u001b[31mred", @"\x1b[31mred")]
    [InlineData("tab\there", @"tab\x09here")]
    [InlineData("next\u0085line", @"next\x85line")]
    [InlineData("para\u2029graph", @"para\u2029graph")]
    [InlineData("données", "données")]
    [InlineData(null, "")]
    public void Control_characters_are_written_as_escapes_and_the_rest_is_kept(string? value, string expected)
    {
        Assert.Equal(expected, LogText.Escape(value));
        Assert.Equal(expected != (value ?? ""), value is not null && LogText.HasControlCharacters(value));
    }

    [Fact]
    public void A_long_value_is_cut_to_the_bound_with_an_ellipsis()
    {
        var escaped = LogText.Escape(new string('x', 10_000));

        Assert.Equal(LogText.DefaultMaxLength + 1, escaped.Length);
        Assert.EndsWith("x…", escaped, StringComparison.Ordinal);
    }
}
