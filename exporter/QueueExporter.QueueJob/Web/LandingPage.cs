using System.Net;
using System.Reflection;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace QueueExporter.QueueJob.Web;

/// <summary>
/// The page at <c>/</c> of a listener that has no status page: what this is and where its endpoints are,
/// as node_exporter's landing page does, so that a person who opens the port in a browser is not left with a 404.
/// </summary>
public static class LandingPage
{
    /// <summary>The version every component reports (informational version without the build suffix).</summary>
    public static string Version { get; } =
        typeof(LandingPage).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "unknown";

    /// <summary>The page's HTML; every value is escaped.</summary>
    public static string Html(string component, string description, IEnumerable<(string Path, string What)> links)
    {
        ArgumentNullException.ThrowIfNull(links);
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>queue-exporter ")
            .Append(WebUtility.HtmlEncode(component)).Append("</title>")
            .Append("<style>body{font-family:sans-serif;margin:2em;max-width:50em}code{background:#eee;padding:0 .2em}</style></head>\n<body>\n")
            .Append("<h1>queue-exporter ").Append(WebUtility.HtmlEncode(component)).Append("</h1>\n")
            .Append("<p>").Append(WebUtility.HtmlEncode(description)).Append("</p>\n<ul>\n");
        foreach (var (path, what) in links)
        {
            html.Append("<li><a href=\"").Append(WebUtility.HtmlEncode(path)).Append("\">").Append(WebUtility.HtmlEncode(path)).Append("</a>: ")
                .Append(WebUtility.HtmlEncode(what)).Append("</li>\n");
        }

        html.Append("</ul>\n<p>version ").Append(WebUtility.HtmlEncode(Version)).Append("</p>\n</body></html>\n");
        return html.ToString();
    }

    /// <summary>Serves <see cref="Html"/> at <c>/</c>.</summary>
    public static WebApplication MapLandingPage(this WebApplication app, string component, string description, params (string Path, string What)[] links)
    {
        ArgumentNullException.ThrowIfNull(app);
        var page = Html(component, description, links);
        app.MapGet("/", () => Results.Content(page, "text/html; charset=utf-8"));
        return app;
    }
}
