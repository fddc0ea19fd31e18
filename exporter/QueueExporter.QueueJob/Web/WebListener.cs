using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace QueueExporter.QueueJob.Web;

/// <summary>
/// The one way every listener (runner, worker, scrape) binds and guards its port: plain HTTP, or HTTPS
/// and basic auth from a <c>--web.config.file</c>. A listener calls <see cref="Listen"/> when configuring
/// Kestrel and <see cref="UseWebConfig"/> before mapping its endpoints.
/// </summary>
public static class WebListener
{
    /// <summary>Binds <paramref name="endpoint"/>, with TLS when <paramref name="web"/> has <c>tls_server_config</c>.</summary>
    public static void Listen(this KestrelServerOptions kestrel, IPEndPoint endpoint, WebConfigFile? web)
    {
        ArgumentNullException.ThrowIfNull(kestrel);
        ArgumentNullException.ThrowIfNull(endpoint);
        kestrel.Listen(endpoint, listen =>
        {
            if (web is { ServesTls: true })
            {
                listen.Protocols = HttpProtocols.Http1;

                // Per connection, so that a changed certificate or client CA applies without a restart.
                listen.UseHttps(new TlsHandshakeCallbackOptions
                {
                    OnConnection = _ => ValueTask.FromResult(TlsHandshake.ServerOptions(web)),
                });
            }
        });
    }

    /// <summary>Guards every path with <paramref name="web"/> (nothing to do when null).</summary>
    public static WebApplication UseWebConfig(this WebApplication app, WebConfigFile? web)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (web is not null)
        {
            web.UseLogger(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("QueueExporter.Web"));
            app.UseMiddleware<WebConfigMiddleware>(web, new BasicAuthUsers());
        }

        return app;
    }
}
