using QueueExporter.Runner.Channels;
using Xunit;

namespace QueueExporter.Tests.Runner;

public class ChannelConfigurationParserTests
{
    [Fact]
    public void Root_with_a_capacity_is_parsed()
    {
        var parsed = ChannelConfigurationParser.Parse("root:4");

        Assert.Equal([new ChannelConfiguration("root", 4)], parsed);
    }

    [Fact]
    public void A_channel_without_capacity_gets_capacity_one()
    {
        var parsed = ChannelConfigurationParser.Parse("root");

        Assert.Equal(1, Assert.Single(parsed).Capacity);
    }

    [Fact]
    public void Root_prefix_may_be_omitted()
    {
        var parsed = ChannelConfigurationParser.Parse("sub:2,root.other:3");

        Assert.Equal(["root.sub", "root.other"], parsed.Select(c => c.Name));
        Assert.Equal([2, 3], parsed.Select(c => c.Capacity));
    }

    [Fact]
    public void Whitespace_empty_entries_and_newlines_are_tolerated()
    {
        var parsed = ChannelConfigurationParser.Parse("\n    root : 4,\n    ,\n    foo bar:1\n    baz\n");

        Assert.Equal(["root", "root.foo bar", "root.baz"], parsed.Select(c => c.Name));
        Assert.Equal([4, 1, 1], parsed.Select(c => c.Capacity));
    }

    [Fact]
    public void Options_sequential_throttle_and_paused_are_read()
    {
        var parsed = ChannelConfigurationParser.Parse("root:4,root.mail:1:sequential,root.edi:2:throttle=5,root.off:1:paused");

        Assert.True(parsed[1].Sequential);
        Assert.Equal(5, parsed[2].ThrottleSeconds);
        Assert.True(parsed[3].Paused);
        Assert.False(parsed[0].Sequential || parsed[0].Paused);
    }

    [Fact]
    public void A_flag_accepts_an_explicit_false()
    {
        var parsed = ChannelConfigurationParser.Parse("a:2:sequential=false");

        Assert.False(Assert.Single(parsed).Sequential);
    }

    [Fact]
    public void Unknown_keys_are_kept_as_ignored_rather_than_failing()
    {
        var parsed = ChannelConfigurationParser.Parse("root:2:k=v");

        Assert.Equal(["k"], Assert.Single(parsed).IgnoredKeys!);
    }

    [Fact]
    public void Capacity_zero_is_kept_as_unlimited()
    {
        var parsed = ChannelConfigurationParser.Parse("root:0");

        Assert.Equal("∞", Assert.Single(parsed).DescribeCapacity());
    }

    [Fact]
    public void An_empty_string_configures_nothing()
    {
        Assert.Empty(ChannelConfigurationParser.Parse("  ,\n "));
    }

    [Theory]
    [InlineData("root:four", "root:four", "capacity")]
    [InlineData("root:4,mail:-1", "mail:-1", "capacity")]
    [InlineData(":4", ":4", "missing channel name")]
    [InlineData("root:4,a..b:1", "a..b:1", "empty segment")]
    [InlineData("root:2:sequential", "root:2:sequential", "capacity of 1")]
    [InlineData("a:1:throttle", "a:1:throttle", "throttle")]
    [InlineData("a:1:throttle=x", "a:1:throttle=x", "throttle")]
    [InlineData("a:1:k=v:k=w", "a:1:k=v:k=w", "more than once")]
    [InlineData("a:1:k=v=w", "a:1:k=v=w", "key=value")]
    [InlineData("a:1,root.a:2", "root.a:2", "more than once")]
    [InlineData("a:1:sequential=maybe", "a:1:sequential=maybe", "sequential")]
    public void Malformed_input_names_the_bad_entry_in_one_line(string text, string entry, string reason)
    {
        var error = Assert.Throws<ChannelConfigurationException>(() => ChannelConfigurationParser.Parse(text));

        Assert.Contains($"'{entry}'", error.Message, StringComparison.Ordinal);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Theory]
    [InlineData(null, "root")]
    [InlineData("", "root")]
    [InlineData("root", "root")]
    [InlineData("mail", "root.mail")]
    [InlineData("root.mail.x", "root.mail.x")]
    public void Full_names_always_start_at_root(string? name, string expected)
    {
        Assert.Equal(expected, ChannelConfigurationParser.FullName(name));
    }
}
