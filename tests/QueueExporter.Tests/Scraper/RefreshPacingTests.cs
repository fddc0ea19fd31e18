using QueueExporter.Scraper.Database;
using Xunit;

namespace QueueExporter.Tests.Scraper;

public sealed class RefreshPacingTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(15);

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.05)]
    [InlineData(3.75)]
    public void A_refresh_taking_at_most_a_quarter_of_the_interval_keeps_the_interval(double seconds)
    {
        Assert.Equal(Interval, RefreshPacing.PeriodAfter(Interval, TimeSpan.FromSeconds(seconds)));
    }

    [Theory]
    [InlineData(3.76, 15.04)]
    [InlineData(5, 20)]
    [InlineData(20, 80)]
    public void A_slower_refresh_stretches_the_period_to_four_times_its_duration(double seconds, double period)
    {
        Assert.Equal(TimeSpan.FromSeconds(period), RefreshPacing.PeriodAfter(Interval, TimeSpan.FromSeconds(seconds)));
    }

    [Theory]
    [InlineData(30)]
    [InlineData(3600)]
    public void The_period_never_exceeds_eight_intervals(double seconds)
    {
        Assert.Equal(Interval * 8, RefreshPacing.PeriodAfter(Interval, TimeSpan.FromSeconds(seconds)));
    }

    [Fact]
    public void A_negative_duration_from_a_clock_step_keeps_the_interval()
    {
        Assert.Equal(Interval, RefreshPacing.PeriodAfter(Interval, TimeSpan.FromSeconds(-5)));
    }
}
