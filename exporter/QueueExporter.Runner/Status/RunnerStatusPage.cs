using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace QueueExporter.Runner.Status;

/// <summary>
/// The runner's live status page at <c>/</c>: a static page and script (embedded in the assembly) that
/// poll <c>/status.json</c>, an <see cref="IRunnerStatus"/> snapshot. No framework; the script writes values
/// as text only, and a Content-Security-Policy allows no script but our own file, as a second guard.
/// </summary>
public static class RunnerStatusPage
{
    /// <summary>The snapshot the page polls.</summary>
    public const string JsonPath = "/status.json";

    private const string Policy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    /// <summary>Maps <c>/</c>, <c>/status.js</c>, <c>/status.css</c> and <see cref="JsonPath"/>.</summary>
    public static WebApplication MapRunnerStatusPage(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        Serve(app, "/", "status.html", "text/html; charset=utf-8");
        Serve(app, "/status.js", "status.js", "text/javascript; charset=utf-8");
        Serve(app, "/status.css", "status.css", "text/css; charset=utf-8");
        app.MapGet(JsonPath, (HttpContext context) =>
        {
            context.Response.Headers.CacheControl = "no-store";
            var snapshot = context.RequestServices.GetRequiredService<IRunnerStatus>().Snapshot();
            return Results.Json(snapshot, RunnerStatusJson.Default.RunnerStatusSnapshot);
        });
        return app;
    }

    private static void Serve(WebApplication app, string path, string resource, string contentType)
    {
        var content = Read(resource);
        app.MapGet(path, (HttpContext context) =>
        {
            context.Response.Headers.ContentSecurityPolicy = Policy;
            context.Response.Headers.XContentTypeOptions = "nosniff";
            return Results.Bytes(content, contentType);
        });
    }

    private static byte[] Read(string resource)
    {
        using var stream = typeof(RunnerStatusPage).Assembly.GetManifestResourceStream("QueueExporter.Runner.Status." + resource)
            ?? throw new InvalidOperationException($"embedded resource {resource} is missing from the build");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
