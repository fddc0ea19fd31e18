using QueueExporter.Scraper.Labels;
using Xunit;

namespace QueueExporter.Tests.Scraper;

public sealed class ChannelLabelsTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 5, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void The_first_channels_keep_their_name_and_later_ones_are_other()
    {
        var labels = new ChannelLabels(2, TimeSpan.FromHours(1));

        Assert.Equal("root.a", labels.Touch("root.a", Now));
        Assert.Equal("root.b", labels.Touch("root.b", Now));
        Assert.Equal(ChannelLabels.Other, labels.Touch("root.c", Now));
        Assert.Equal("root.a", labels.Touch("root.a", Now));
        Assert.Equal(["other", "root", "root.a", "root.b"], labels.Current.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Named_channels_stop_at_their_total_characters_and_an_expired_one_gives_its_characters_back()
    {
        var labels = new ChannelLabels(1000, TimeSpan.FromHours(1));
        // 40 names at the 100-character cut fill the 4,000 characters exactly.
        var names = Enumerable.Range(0, 41).Select(i => $"root.c{i:D2}." + new string('x', 200)).ToList();
        foreach (var name in names.Take(40))
        {
            Assert.NotEqual(ChannelLabels.Other, labels.Touch(name, Now));
        }

        Assert.Equal(ChannelLabels.Other, labels.Touch(names[40], Now));
        Assert.Equal(ChannelLabels.Other, labels.Peek("root.a"));

        // The forty and other expire together; the characters go to the next channels seen.
        Assert.Equal(41, labels.Expire(Now.AddHours(1)).Count);
        Assert.NotEqual(ChannelLabels.Other, labels.Touch(names[40], Now.AddHours(1)));
    }

    [Fact]
    public void Root_is_always_named_and_takes_no_slot()
    {
        var labels = new ChannelLabels(1, TimeSpan.FromHours(1));

        Assert.Equal("root", labels.Touch("root", Now));
        Assert.Equal("root.a", labels.Touch("root.a", Now));
        Assert.Equal("root", labels.Touch("root", Now));
        Assert.DoesNotContain("root", labels.Expire(Now.AddDays(1)));
        Assert.Equal(["root"], labels.Current);
    }

    [Fact]
    public void A_long_channel_is_labelled_by_its_truncated_name()
    {
        var labels = new ChannelLabels(10, TimeSpan.FromHours(1));

        var label = labels.Touch("root." + new string('x', 500), Now);

        Assert.Equal(LabelValues.MaxLength, label.Length);
        Assert.EndsWith(LabelValues.TruncationMarker, label, StringComparison.Ordinal);
    }

    [Fact]
    public void An_idle_channel_expires_and_frees_its_slot_for_a_new_one()
    {
        var labels = new ChannelLabels(1, TimeSpan.FromMinutes(10));
        labels.Touch("root.a", Now);
        labels.Touch("root.b", Now.AddMinutes(5));

        Assert.Empty(labels.Expire(Now.AddMinutes(9)));
        Assert.Equal(["root.a"], labels.Expire(Now.AddMinutes(10)));
        Assert.Equal("root.c", labels.Touch("root.c", Now.AddMinutes(10)));
        Assert.Equal([ChannelLabels.Other], labels.Expire(Now.AddMinutes(15)));
    }

    [Fact]
    public void Peek_neither_takes_a_slot_nor_marks_a_channel_as_seen()
    {
        var labels = new ChannelLabels(1, TimeSpan.FromMinutes(10));

        Assert.Equal("root.a", labels.Peek("root.a"));
        Assert.Equal("root.b", labels.Touch("root.b", Now));
        Assert.Equal(ChannelLabels.Other, labels.Peek("root.a"));
    }
}
