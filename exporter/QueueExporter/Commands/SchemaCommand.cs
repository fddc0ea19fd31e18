using System.CommandLine;
using Npgsql;
using QueueExporter.QueueJob.Connection;
using QueueExporter.QueueJob.Schema;

namespace QueueExporter.Commands;

/// <summary><c>queue-exporter schema install|check|print</c>.</summary>
internal static class SchemaCommand
{
    private const string ApplicationName = "queue-exporter-schema";

    public static Command Create()
    {
        var command = new Command("schema", "Create or inspect the queue_job table.");
        command.Subcommands.Add(Install());
        command.Subcommands.Add(Check());
        command.Subcommands.Add(Print());
        return command;
    }

    private static readonly Option<bool> MonitoringIndex = new("--monitoring-index")
    {
        Description = $"Only add the optional index {SchemaInstaller.MonitoringIndexName} to the existing queue_job table (Odoo's own or ours, any version since 12.0), "
            + "built concurrently: the scraper's refresh becomes an index-only scan over the unfinished and failed jobs. Nothing else is changed.",
    };

    private static Command Install()
    {
        var options = new DatabaseOptions();
        var command = new Command("install", "Create the queue_job table (16.0/17.0 shape), queue_job_lock, indexes and the queue_job_notify trigger. Idempotent; for applications that are not Odoo. With --monitoring-index, only add the scraper's optional index.");
        options.AddTo(command);
        command.Options.Add(MonitoringIndex);
        command.SetAction((parse, cancellationToken) => CommandFailure.RunAsync(async () =>
        {
            var endpoint = options.ResolveEndpoint(parse);
            var databases = parse.GetValue(options.Databases) is { Length: > 0 } named ? named : [endpoint.Database ?? throw new ArgumentException("name the database: --database NAME or a URL ending in /NAME")];
            foreach (var database in databases)
            {
                await using var connection = new NpgsqlConnection(endpoint.WithDatabase(database).ToConnectionString(ApplicationName, pooling: false));
                await connection.OpenAsync(cancellationToken);
                if (parse.GetValue(MonitoringIndex))
                {
                    // Detection first: on a database without the table the answer is one clear line, not PostgreSQL's.
                    await SchemaDetector.DetectAsync(connection, cancellationToken);
                    await SchemaInstaller.InstallMonitoringIndexAsync(connection, cancellationToken);
                    Console.WriteLine($"index {SchemaInstaller.MonitoringIndexName} present in database \"{database}\" at {endpoint.Host}:{endpoint.Port}");
                    continue;
                }

                await SchemaInstaller.InstallAsync(connection, cancellationToken);
                Console.WriteLine($"queue_job schema installed in database \"{database}\" at {endpoint.Host}:{endpoint.Port}");
            }

            return 0;
        }, () => options.ResolveEndpoint(parse)));
        return command;
    }

    private static Command Check()
    {
        var options = new DatabaseOptions();
        var command = new Command("check", "Report the queue_job generation of each database, its trigger and lock table, and what is unavailable. Exit 1 when a database has no usable queue_job table.");
        options.AddTo(command);
        command.SetAction((parse, cancellationToken) => CommandFailure.RunAsync(async () =>
        {
            var endpoint = options.ResolveEndpoint(parse);
            var databases = await options.ResolveDatabases(parse, ApplicationName).ResolveAsync(cancellationToken);
            if (databases.Count == 0)
            {
                await Console.Error.WriteLineAsync($"queue-exporter: no database with a queue_job table at {endpoint.Host}:{endpoint.Port}");
                return CommandFailure.RuntimeError;
            }

            var status = 0;
            foreach (var database in databases)
            {
                var target = endpoint.WithDatabase(database);
                try
                {
                    await using var connection = new NpgsqlConnection(target.ToConnectionString(ApplicationName, pooling: false));
                    await connection.OpenAsync(cancellationToken);
                    var schema = await SchemaDetector.DetectAsync(connection, cancellationToken);
                    Console.WriteLine($"{database}: {schema.Shape}, states {string.Join('/', schema.States)}, trigger {(schema.HasNotifyTrigger ? "present" : "MISSING")}, queue_job_lock {(schema.HasLockTable ? "present" : "absent")}, monitoring index {(schema.HasMonitoringIndex ? "present" : "absent")}");
                    foreach (var line in schema.Unavailable)
                    {
                        Console.WriteLine($"  - {line}");
                    }
                }
                catch (Exception ex) when (ex is NpgsqlException or QueueJobTableMissingException)
                {
                    Console.WriteLine($"{database}: {DatabaseErrorDescriber.Describe(ex, target)}");
                    status = CommandFailure.RuntimeError;
                }
            }

            return status;
        }, () => options.ResolveEndpoint(parse)));
        return command;
    }

    private static Command Print()
    {
        var monitoringIndex = new Option<bool>("--monitoring-index") { Description = "Print the SQL of `schema install --monitoring-index` instead." };
        var command = new Command("print", "Print the SQL that `schema install` runs, for review.");
        command.Options.Add(monitoringIndex);
        command.SetAction(parse =>
        {
            if (parse.GetValue(monitoringIndex))
            {
                Console.WriteLine(SchemaInstaller.MonitoringIndexDdl);
                return 0;
            }

            Console.WriteLine(SchemaInstaller.Ddl);
            Console.WriteLine($"-- Optional, for the scraper (not run by `schema install`): `schema print --monitoring-index`, `schema install --monitoring-index`.");
            return 0;
        });
        return command;
    }
}
