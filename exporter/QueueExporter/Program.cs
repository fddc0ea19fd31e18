using System.CommandLine;
using QueueExporter.Commands;

var root = new RootCommand("queue-exporter: monitoring and job running for PostgreSQL queue_job tables (OCA queue_job, Odoo 12.0-18.0).");
root.Subcommands.Add(ScrapeCommand.Create());
return await root.Parse(args).InvokeAsync();
