using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Npgsql;
using QueueExporter.QueueJob.Enqueue;
using QueueExporter.QueueJob.Schema;
using QueueExporter.Runner.Channels;

namespace QueueExporter.Commands;

/// <summary><c>queue-exporter enqueue</c>: add jobs the way Odoo's with_delay() does; prints their uuids.</summary>
internal static class EnqueueCommand
{
    private const int BatchSize = 5000;

    public static Command Create()
    {
        var options = new DatabaseOptions();
        var function = new Option<string>("--function") { Description = "What to run, as model.method (e.g. res.partner.send_mail or queue.demo.quick): the part after the last dot is the method.", Required = true };
        var channel = new Option<string>("--channel") { Description = "Channel, e.g. root.mail or mail (root. is added).", DefaultValueFactory = _ => "root" };
        var priority = new Option<int>("--priority") { Description = "Lower runs first.", DefaultValueFactory = _ => 10 };
        var eta = new Option<string?>("--eta") { Description = "Do not run before: an ISO 8601 time (UTC if no offset) or a delay from now such as 30s, 5m, 2h." };
        var args = new Option<string>("--args") { Description = "Positional arguments as a JSON array.", DefaultValueFactory = _ => "[]" };
        var kwargs = new Option<string>("--kwargs") { Description = "Keyword arguments as a JSON object.", DefaultValueFactory = _ => "{}" };
        var maxRetries = new Option<int>("--max-retries") { Description = "Retries allowed on retryable errors; 0 retries for ever.", DefaultValueFactory = _ => 5 };
        var count = new Option<int>("--count") { Description = "How many identical jobs to add (inserted in batches of 5000).", DefaultValueFactory = _ => 1 };
        var dependsOn = new Option<string[]>("--depends-on") { Description = "Uuid of a job that must be done first (repeatable; 14.0+ tables)." };
        var description = new Option<string?>("--description") { Description = "Human description (default: the printable call)." };

        var command = new Command("enqueue", "Add jobs to queue_job as Odoo does (state pending, date_created now UTC) and print their uuids, one per line.");
        options.AddTo(command);
        foreach (var option in (Option[])[function, channel, priority, eta, args, kwargs, maxRetries, count, dependsOn, description])
        {
            command.Options.Add(option);
        }

        command.SetAction((parse, cancellationToken) => CommandFailure.RunAsync(async () =>
        {
            var endpoint = options.ResolveEndpoint(parse);
            var database = parse.GetValue(options.Databases) is { Length: > 0 } named ? named[0] : endpoint.Database
                ?? throw new ArgumentException("name the database: --database NAME or a URL ending in /NAME");
            var (model, method) = SplitFunction(parse.GetValue(function)!);
            var job = new NewJob
            {
                ModelName = model,
                MethodName = method,
                Channel = ValidateChannel(parse.GetValue(channel)!),
                Priority = parse.GetValue(priority),
                Eta = ParseEta(parse.GetValue(eta), TimeProvider.System.GetUtcNow()),
                ArgsJson = RequireJson(parse.GetValue(args)!, JsonValueKind.Array, "--args"),
                KwargsJson = RequireJson(parse.GetValue(kwargs)!, JsonValueKind.Object, "--kwargs"),
                MaxRetries = parse.GetValue(maxRetries) >= 0 ? parse.GetValue(maxRetries) : throw new ArgumentException("--max-retries must be 0 or more"),
                DependsOn = ValidateUuids(parse.GetValue(dependsOn) ?? []),
                Description = parse.GetValue(description),
            };
            var total = parse.GetValue(count) is var n and >= 1 ? n : throw new ArgumentException("--count must be at least 1");

            await using var connection = new NpgsqlConnection(endpoint.WithDatabase(database).ToConnectionString("queue-exporter-enqueue", pooling: false));
            await connection.OpenAsync(cancellationToken);
            var enqueuer = new JobEnqueuer(await SchemaDetector.DetectAsync(connection, cancellationToken));
            if (await JobEnqueuer.FindMissingAsync(connection, job.DependsOn, cancellationToken) is [var missing, ..])
            {
                throw new ArgumentException($"--depends-on: no job {missing} in database {database}");
            }

            for (var done = 0; done < total; done += BatchSize)
            {
                var batch = Enumerable.Repeat(job, Math.Min(BatchSize, total - done)).ToList();
                foreach (var uuid in await enqueuer.EnqueueManyAsync(connection, batch, null, cancellationToken))
                {
                    Console.WriteLine(uuid);
                }
            }

            return 0;
        }, () => options.ResolveEndpoint(parse)));
        return command;
    }

    internal static (string Model, string Method) SplitFunction(string function)
    {
        var dot = function.LastIndexOf('.');
        return dot <= 0 || dot == function.Length - 1
            ? throw new ArgumentException($"--function must be model.method, got '{function}'")
            : (function[..dot], function[(dot + 1)..]);
    }

    /// <summary>The channel in its full form, by the runner's grammar (no empty segment: 'root..x' is refused).</summary>
    internal static string ValidateChannel(string channel)
    {
        var full = ChannelConfigurationParser.FullName(channel);
        return ChannelConfigurationParser.IsValidFullName(full)
            ? full
            : throw new ArgumentException($"--channel: '{channel}' is not a channel name (dot-separated segments, none empty, no ':' or ',')");
    }

    /// <summary>Each value as a uuid in Odoo's form (lower case, with hyphens), or a one-line refusal.</summary>
    internal static IReadOnlyList<string> ValidateUuids(IReadOnlyList<string> values) =>
        values.Select(value => Guid.TryParseExact(value.Trim(), "D", out var uuid)
            ? uuid.ToString("D")
            : throw new ArgumentException($"--depends-on: '{value}' is not a uuid (e.g. 0b8e5f0a-3c1d-4e8a-9f2b-1c2d3e4f5a6b)")).Distinct().ToList();

    internal static DateTimeOffset? ParseEta(string? text, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var unit = text[^1];
        if (unit is 's' or 'm' or 'h' && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) && amount >= 0)
        {
            return now + unit switch { 's' => TimeSpan.FromSeconds(amount), 'm' => TimeSpan.FromMinutes(amount), _ => TimeSpan.FromHours(amount) };
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var moment)
            ? moment
            : throw new ArgumentException($"--eta is neither an ISO 8601 time nor a delay like 30s/5m/2h: '{text}'");
    }

    private static string RequireJson(string text, JsonValueKind kind, string option)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.ValueKind == kind ? text : throw new ArgumentException($"{option} must be a JSON {kind.ToString().ToLowerInvariant()}");
        }
        catch (JsonException ex)
        {
            throw new ArgumentException($"{option} is not valid JSON: {ex.Message.Split('.')[0]}");
        }
    }
}
