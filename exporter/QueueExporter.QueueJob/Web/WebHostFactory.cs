using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration.Json;

namespace QueueExporter.QueueJob.Web;

/// <summary>
/// The one way every listener (runner, worker, scrape) creates its web host: ASP.NET Core's slim builder without
/// its configuration files. Flags and the Odoo settings are this tool's one way to configure it; an
/// <c>appsettings.json</c> that happens to lie in the working directory must not change Kestrel or logging.
/// And the slim builder watches its content root (the working directory, recursively) to reload those files:
/// started from a busy directory (one holding a PostgreSQL data directory, Odoo's filestore, or just <c>/</c>),
/// that watcher read every file change there on a thread of its own (a tenth of the runner's CPU in the
/// benchmark started from <c>/tmp</c>) and walked the whole tree at start.
/// </summary>
public static class WebHostFactory
{
    // The host setting that turns the reload off; read before the configuration files are added.
    private const string NoReload = "--hostBuilder:reloadConfigOnChange=false";

    /// <summary>A slim web application builder that reads no configuration file and watches no directory.</summary>
    public static WebApplicationBuilder CreateBuilder()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [NoReload] });
        var sources = builder.Configuration.Sources;
        for (var i = sources.Count - 1; i >= 0; i--)
        {
            if (sources[i] is JsonConfigurationSource)
            {
                sources.RemoveAt(i);
            }
        }

        return builder;
    }
}
