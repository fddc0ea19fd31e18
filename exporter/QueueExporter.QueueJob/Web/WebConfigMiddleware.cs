using Microsoft.AspNetCore.Http;

namespace QueueExporter.QueueJob.Web;

/// <summary>
/// Applies the web config to every request, on every path (the toolkit protects all of them): 500 while
/// the file is unusable (fail closed), 401 with a Basic challenge unless the credentials match a
/// <c>basic_auth_users</c> entry when there are any.
/// </summary>
public sealed class WebConfigMiddleware(RequestDelegate next, WebConfigFile file, BasicAuthUsers users)
{
    /// <summary>Passes allowed requests on.</summary>
    public Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var loaded = file.Current();
        if (loaded.Error is not null)
        {
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            context.Response.ContentType = "text/plain; charset=utf-8";
            return context.Response.WriteAsync("the listener's web config is unusable; see the log\n");
        }

        var allowed = loaded.Config.BasicAuthUsers;
        if (allowed.Count == 0
            || (BasicAuthUsers.TryReadHeader(context.Request.Headers.Authorization, out var user, out var password) && users.Check(allowed, user, password)))
        {
            return next(context);
        }

        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = "Basic realm=\"queue-exporter\", charset=\"UTF-8\"";
        return Task.CompletedTask;
    }
}
