using QueueExporter.Demo;

namespace QueueExporter.Tests.Demo;

public class DemoSummaryTests
{
    [Fact]
    public void Pending_jobs_waiting_for_an_eta_and_jobs_waiting_for_dependencies_are_shown_apart()
    {
        var counts = new Dictionary<string, long> { ["pending"] = 4, ["pending_eta"] = 9, ["wait_dependencies"] = 2, ["done"] = 30 };

        var line = DemoSummary.Format(counts, 20, TimeSpan.FromSeconds(2), [], TimeSpan.FromSeconds(10));

        Assert.Contains("pending      4", line, StringComparison.Ordinal);
        Assert.Contains("eta    9", line, StringComparison.Ordinal);
        Assert.Contains("deps    2", line, StringComparison.Ordinal);
        Assert.Contains("5.0 done/s", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("short message", 20, "short message")]
    [InlineData("the partner record could not be found in the database", 30, "the partner record could not…")]
    [InlineData("averyveryverylongwordwithoutanyspaceatall", 12, "averyveryve…")]
    public void A_long_failure_message_is_cut_at_a_word_and_marked(string message, int length, string expected)
    {
        var shortened = DemoSummary.Shorten(message, length);

        Assert.Equal(expected, shortened);
        Assert.True(shortened.Length <= length);
    }

    [Fact]
    public void The_final_summary_names_what_was_fed_and_where_the_table_stands()
    {
        var counts = new Dictionary<string, long> { ["done"] = 100, ["failed"] = 3, ["pending"] = 1, ["pending_eta"] = 2, ["started"] = 1 };

        var line = DemoSummary.FormatFinal(counts, 107, TimeSpan.FromSeconds(60));

        Assert.Equal("demo summary: fed 107 jobs in 60 s; done 100, failed 3, cancelled 0, still pending 1 (+2 waiting for their eta, 0 for their dependencies), running 1", line);
    }
}
