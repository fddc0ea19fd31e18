using QueueExporter.QueueJob.Web;
using QueueExporter.Runner.Status;
using QueueExporter.Scraper.Database;
using QueueExporter.Scraper.Http;

namespace QueueExporter.Tests.Web;

public class StatusPageTests
{
    private const string Hostile = "<script>alert(1)</script>";

    [Fact]
    public void The_scraper_page_escapes_database_names_and_errors()
    {
        var databases = new[]
        {
            new ScrapedDatabase("odoo" + Hostile, true, DateTimeOffset.UnixEpoch, null, new Dictionary<string, long> { ["pending"] = 7 }, 1),
            new ScrapedDatabase("down", false, null, "cannot reach " + Hostile, new Dictionary<string, long>(), 0),
        };

        var html = ScraperStatusPage.Html(databases, readsDatabases: true, DateTimeOffset.UnixEpoch);

        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("odoo&lt;script&gt;alert(1)&lt;/script&gt;", html, StringComparison.Ordinal);
        Assert.Contains("down: cannot reach &lt;script&gt;", html, StringComparison.Ordinal);
        Assert.Contains("<td>7</td>", html, StringComparison.Ordinal);
        Assert.Contains("<td>never</td>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void The_landing_page_escapes_what_it_is_given_and_links_each_path()
    {
        var html = LandingPage.Html("worker" + Hostile, "does " + Hostile, [("/metrics", "metrics " + Hostile)]);

        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("<a href=\"/metrics\">/metrics</a>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Recent_dispatches_keep_the_newest_and_list_failures_apart()
    {
        var recent = new RecentDispatches();
        for (var i = 0; i < RecentDispatches.Capacity + 3; i++)
        {
            recent.Add(new DispatchRecord(DateTimeOffset.UnixEpoch.AddSeconds(i), "db", "root", $"job-{i}", i % 2 == 0 ? "ok" : "refused"));
        }

        recent.Add(new DispatchRecord(DateTimeOffset.UnixEpoch, "db", "root", "slow", "timeout"));

        Assert.Equal(RecentDispatches.Capacity, recent.Last.Count);
        Assert.Equal("slow", recent.Last[0].Uuid);
        Assert.Equal($"job-{RecentDispatches.Capacity + 2}", recent.Last[1].Uuid);
        Assert.All(recent.Failures, f => Assert.Equal("refused", f.Outcome));
        Assert.Equal($"job-{RecentDispatches.Capacity + 1}", recent.Failures[0].Uuid);
        Assert.False(RecentDispatches.IsFailure("timeout"));
        Assert.True(RecentDispatches.IsFailure("http_error"));
        Assert.True(RecentDispatches.IsFailure("connection_error"));
    }
}
