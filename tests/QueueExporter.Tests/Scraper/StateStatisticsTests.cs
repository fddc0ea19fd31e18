using QueueExporter.Scraper.Database;
using Xunit;

namespace QueueExporter.Tests.Scraper;

public sealed class StateStatisticsTests
{
    [Fact]
    public void A_common_state_is_estimated_from_its_frequency()
    {
        var statistics = new StateStatistics(10_000_000, 0, 5, ["done", "cancelled", "failed"], [0.9, 0.05, 0.04]);

        Assert.Equal(9_000_000, statistics.EstimateRows("done"));
        Assert.Equal(400_000, statistics.EstimateRows("failed"));
    }

    [Fact]
    public void A_state_outside_the_common_values_shares_what_they_leave()
    {
        // 1 % of rows left over for 5 - 3 = 2 other states.
        var statistics = new StateStatistics(1_000_000, 0, 5, ["done", "pending", "failed"], [0.9, 0.05, 0.04]);

        Assert.Equal(5_000, statistics.EstimateRows("cancelled"));
    }

    [Fact]
    public void A_negative_distinct_count_is_a_fraction_of_the_rows()
    {
        var statistics = new StateStatistics(1000, 0, -0.004, ["done"], [0.8]);

        // 0.004 * 1000 = 4 distinct values, 3 besides done, sharing 20 %.
        Assert.Equal(67, statistics.EstimateRows("failed"));
    }

    [Fact]
    public void A_table_never_analysed_has_no_estimate()
    {
        Assert.Null(new StateStatistics(-1, 0, 0, [], []).EstimateRows("done"));
    }

    [Fact]
    public void A_state_absent_when_the_common_values_cover_every_row_is_estimated_at_zero()
    {
        var statistics = new StateStatistics(100, 0, 2, ["done", "pending"], [0.7, 0.3]);

        Assert.Equal(0, statistics.EstimateRows("failed"));
    }
}
