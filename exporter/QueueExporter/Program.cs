using System.CommandLine;
using System.Runtime.CompilerServices;
using QueueExporter.Commands;
using QueueExporter.Monitoring;

// Wiring only: each subcommand lives in Commands/ and builds its own options and services.
// First of all: no runtime collectors on the global registry (each command builds its own, see ExporterMetrics).
ExporterMetrics.SuppressLibraryDefaults();
var root = new RootCommand("queue-exporter: job runner, worker and monitoring for PostgreSQL queue_job tables (OCA queue_job, Odoo 12.0-18.0)");
root.Subcommands.Add(RunnerCommand.Create());
// A constant in a Native AOT build, which then compiles in the runner only (NativeAotCommands).
if (RuntimeFeature.IsDynamicCodeSupported)
{
    root.Subcommands.Add(WorkerCommand.Create());
    root.Subcommands.Add(ScrapeCommand.Create());
    root.Subcommands.Add(SchemaCommand.Create());
    root.Subcommands.Add(EnqueueCommand.Create());
    root.Subcommands.Add(DemoCommand.Create());
}
else
{
    foreach (var placeholder in NativeAotCommands.Placeholders())
    {
        root.Subcommands.Add(placeholder);
    }
}

var parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    // A usage error is one line and exit code 2, like a bad value found later: never the whole help.
    var command = parse.CommandResult.Command == root ? "queue-exporter" : $"queue-exporter {parse.CommandResult.Command.Name}";
    await Console.Error.WriteLineAsync($"queue-exporter: {parse.Errors[0].Message} (see {command} --help)");
    return CommandFailure.UsageError;
}

if (NativeAotCommands.Refusal(parse) is { } refusal)
{
    await Console.Error.WriteLineAsync(refusal);
    return CommandFailure.UsageError;
}

return await parse.InvokeAsync();
