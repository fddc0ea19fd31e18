using System.CommandLine;
using QueueExporter.Monitoring;

namespace QueueExporter.Commands;

/// <summary>The metrics options every long-running command shares (runner, worker, scrape).</summary>
internal sealed class MetricsOptions
{
    public Option<bool> RuntimeMetrics { get; } = new("--runtime-metrics")
    {
        Description = "Also export the .NET runtime's and the libraries' meters and event counters (GC, thread pool, Npgsql, HttpClient, Kestrel). Off by default: they do not follow Prometheus naming (promtool check metrics reports them) and triple a scrape. process_* metrics are always exported.",
    };

    public void AddTo(Command command) => command.Options.Add(RuntimeMetrics);

    /// <summary>The registry of the command being run; its name (runner, worker, scrape) is the build info's component label.</summary>
    public ExporterMetrics Create(ParseResult parse) => ExporterMetrics.Create(parse.CommandResult.Command.Name, parse.GetValue(RuntimeMetrics));
}
