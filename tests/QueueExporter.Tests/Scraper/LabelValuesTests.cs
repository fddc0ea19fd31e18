using QueueExporter.Scraper.Labels;
using Xunit;

namespace QueueExporter.Tests.Scraper;

public sealed class LabelValuesTests
{
    [Fact]
    public void A_value_within_the_limit_is_kept_as_it_is()
    {
        var value = new string('a', LabelValues.MaxLength);

        Assert.Same(value, LabelValues.Truncate(value));
    }

    [Fact]
    public void A_longer_value_is_cut_to_the_limit_and_ends_with_the_marker()
    {
        var cut = LabelValues.Truncate(new string('a', 10_000));

        Assert.Equal(LabelValues.MaxLength, cut.Length);
        Assert.EndsWith(LabelValues.TruncationMarker, cut, StringComparison.Ordinal);
        Assert.StartsWith(new string('a', LabelValues.MaxLength - 1), cut, StringComparison.Ordinal);
    }

    [Fact]
    public void A_cut_never_splits_a_surrogate_pair()
    {
        // 4 characters kept at most: "ab" then an emoji (two UTF-16 units) would straddle the cut.
        var cut = LabelValues.Truncate("ab\U0001F600cdef", 4);

        Assert.Equal("ab" + LabelValues.TruncationMarker, cut);
    }
}
