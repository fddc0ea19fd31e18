using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using QueueExporter.QueueJob.Schema;
using QueueExporter.QueueJob.Web;
using QueueExporter.Scraper.Database;

namespace QueueExporter.Scraper.Http;

/// <summary>
/// The scraper's page at <c>/</c>: per database, whether the last refresh worked, when one last did, the
/// unfinished jobs per state and the runner sessions seen. Rendered on the server (every value escaped:
/// database names and errors are data) and reloaded by the browser every few seconds; no script.
/// </summary>
public static class ScraperStatusPage
{
    /// <summary>Seconds between reloads of the page.</summary>
    public const int RefreshSeconds = 5;

    private static readonly string[] StateColumns = [JobStates.WaitDependencies, JobStates.Pending, JobStates.Enqueued, JobStates.Started];

    /// <summary>The page for <paramref name="databases"/> as of <paramref name="now"/>.</summary>
    public static string Html(IReadOnlyList<ScrapedDatabase> databases, bool readsDatabases, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(databases);
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"{RefreshSeconds}\">")
            .Append("<title>queue-exporter scrape</title><style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}")
            .Append("td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left}.down{color:#b00;font-weight:bold}.up{color:#070}</style></head>\n<body>\n")
            .Append("<h1>queue-exporter scrape</h1>\n<p>Reads queue_job state for Prometheus: <a href=\"/metrics\">/metrics</a>, <a href=\"/healthz\">/healthz</a>. ")
            .Append(CultureInfo.InvariantCulture, $"As of {now:yyyy-MM-dd HH:mm:ss}Z, version {WebUtility.HtmlEncode(LandingPage.Version)}.</p>\n");
        if (!readsDatabases)
        {
            html.Append("<p>No database is read (--no-database): only log files are followed.</p>\n");
        }
        else if (databases.Count == 0)
        {
            html.Append("<p id=\"no-databases\">No database refreshed yet.</p>\n");
        }
        else
        {
            html.Append("<table id=\"databases\"><tr><th>database</th><th>refresh</th><th>last success</th>");
            foreach (var state in StateColumns)
            {
                html.Append("<th>").Append(state).Append("</th>");
            }

            html.Append("<th>runner sessions</th></tr>\n");
            foreach (var database in databases)
            {
                html.Append("<tr><td>").Append(WebUtility.HtmlEncode(database.Database)).Append("</td>")
                    .Append(database.Up ? "<td class=\"up\">up</td>" : "<td class=\"down\">down: " + WebUtility.HtmlEncode(database.Error ?? string.Empty) + "</td>")
                    .Append("<td>").Append(database.LastSuccess is { } at ? at.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + "Z" : "never").Append("</td>");
                foreach (var state in StateColumns)
                {
                    html.Append("<td>").Append(database.JobsByState.GetValueOrDefault(state).ToString(CultureInfo.InvariantCulture)).Append("</td>");
                }

                html.Append("<td>").Append(database.RunnerSessions.ToString(CultureInfo.InvariantCulture)).Append("</td></tr>\n");
            }

            html.Append("</table>\n");
        }

        return html.Append("</body></html>\n").ToString();
    }

    /// <summary>Serves the page at <c>/</c>.</summary>
    public static WebApplication MapScraperStatusPage(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/", (HttpContext context) =>
        {
            var services = context.RequestServices;
            var options = services.GetRequiredService<ScraperOptions>();
            var metrics = services.GetRequiredService<ScraperMetrics>();
            var page = Html(metrics.Status.Databases, options.ReadDatabases, services.GetRequiredService<TimeProvider>().GetUtcNow());
            return Results.Content(page, "text/html; charset=utf-8");
        });
        return app;
    }
}
