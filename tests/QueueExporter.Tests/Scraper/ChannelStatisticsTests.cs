using QueueExporter.Scraper.Database;
using Xunit;

namespace QueueExporter.Tests.Scraper;

public sealed class ChannelStatisticsTests
{
    [Fact]
    public void A_states_rows_are_split_by_each_common_channels_frequency()
    {
        var statistics = new ChannelStatistics(0, ["root", "root.mail"], [0.75, 0.2]);

        var split = statistics.Split("done", 1_000_000);

        Assert.Equal(750_000, split.Single(c => c.Channel == "root").Count);
        Assert.Equal(200_000, split.Single(c => c.Channel == "root.mail").Count);
        Assert.All(split, c => Assert.Equal("done", c.State));
        // The 5 % in channels too rare for the statistics get no share.
        Assert.Equal(2, split.Count);
    }

    [Fact]
    public void Rows_without_a_channel_are_counted_as_root_like_the_exact_counts()
    {
        var statistics = new ChannelStatistics(0.1, ["root"], [0.5]);

        var split = statistics.Split("cancelled", 1000);

        Assert.Equal(600, Assert.Single(split).Count);
    }
}
