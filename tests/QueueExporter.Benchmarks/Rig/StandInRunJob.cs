using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using QueueExporter.QueueJob.Web;

namespace QueueExporter.Benchmarks.Rig;

/// <summary>
/// A runjob endpoint that records each request's arrival and answers 200 without touching the row: the
/// jobs it receives stay enqueued ("still running"), so a runner sends exactly its capacity and then
/// holds the rest. For measuring a runner process on its own (memory, start-up), not a flow.
/// </summary>
internal sealed class StandInRunJob : IAsyncDisposable
{
    private readonly WebApplication _app;

    private StandInRunJob(WebApplication app, ArrivalProbe probe, Uri url)
    {
        _app = app;
        Probe = probe;
        Url = url;
    }

    public ArrivalProbe Probe { get; }

    public Uri Url { get; }

    public static async Task<StandInRunJob> StartAsync()
    {
        var builder = WebHostFactory.CreateBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var probe = new ArrivalProbe();
        app.MapGet("/queue_job/runjob", (string job_uuid) =>
        {
            probe.RecordArrival(job_uuid);
            return "";
        });
        await app.StartAsync();
        var url = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return new StandInRunJob(app, probe, url);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}
