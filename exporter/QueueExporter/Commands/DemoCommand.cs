using System.CommandLine;
using Npgsql;
using QueueExporter.Demo;
using QueueExporter.QueueJob.Enqueue;
using QueueExporter.QueueJob.Schema;

namespace QueueExporter.Commands;

/// <summary>
/// <c>queue-exporter demo</c>: feeds a realistic stream of jobs into one database and prints a live
/// summary. ./demo.sh starts the runner, worker and scraper around it; on its own it feeds any
/// queue_job database whose workers know the <c>queue.demo.*</c> functions.
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var options = new DatabaseOptions();
        var duration = new Option<int>("--duration") { Description = "Stop after this many seconds (0: run until Ctrl-C).", DefaultValueFactory = _ => 0 };
        var rate = new Option<double>("--ticks-per-second") { Description = "How often a handful of jobs is added (bursts of 150 come about one tick in 40).", DefaultValueFactory = _ => 4 };
        var summaryEvery = new Option<int>("--summary-seconds") { Description = "Seconds between two summary lines.", DefaultValueFactory = _ => 2 };
        var metrics = new Option<string[]>("--show-url") { Description = "A line to print above the summary (repeatable), e.g. a /metrics endpoint and its name." };
        var seed = new Option<int?>("--seed") { Description = "Random seed, for a reproducible stream." };

        var command = new Command("demo", "Feed a realistic, varied stream of queue.demo.* jobs (several channels, priorities, etas, failures, retries, bursts) and print a live summary.");
        options.AddTo(command);
        foreach (var option in (Option[])[duration, rate, summaryEvery, metrics, seed])
        {
            command.Options.Add(option);
        }

        command.SetAction((parse, cancellationToken) => CommandFailure.RunAsync(async () =>
        {
            var endpoint = options.ResolveEndpoint(parse);
            var database = parse.GetValue(options.Databases) is { Length: > 0 } named ? named[0] : endpoint.Database
                ?? throw new ArgumentException("name the database: --database NAME or a URL ending in /NAME");
            var ticksPerSecond = parse.GetValue(rate) is var r and > 0 and <= 1000 ? r : throw new ArgumentException("--ticks-per-second must be between 0 and 1000");
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (parse.GetValue(duration) is > 0 and var seconds)
            {
                stop.CancelAfter(TimeSpan.FromSeconds(seconds));
            }

            foreach (var url in parse.GetValue(metrics) ?? [])
            {
                Console.WriteLine($"  {url}");
            }

            Console.WriteLine($"feeding database \"{database}\" at {endpoint.Host}:{endpoint.Port}; channels {DemoJobMix.ChannelConfiguration}; Ctrl-C stops");
            var started = DateTimeOffset.UtcNow;
            var dataSource = NpgsqlDataSource.Create(endpoint.WithDatabase(database).ToConnectionString("queue-exporter-demo"));
            await using (dataSource)
            {
                var feed = FeedAsync(dataSource, new DemoJobMix(parse.GetValue(seed) is { } s ? new Random(s) : new Random()), TimeSpan.FromSeconds(1 / ticksPerSecond), stop.Token);
                var summary = SummariseAsync(dataSource, TimeSpan.FromSeconds(Math.Max(1, parse.GetValue(summaryEvery))), stop.Token);
                await Task.WhenAll(feed, summary);
                await PrintFinalSummaryAsync(dataSource, await feed, DateTimeOffset.UtcNow - started);
            }

            Console.WriteLine("demo feeder stopped");
            return 0;
        }, () => options.ResolveEndpoint(parse)));
        return command;
    }

    /// <returns>How many jobs were added.</returns>
    private static async Task<long> FeedAsync(NpgsqlDataSource dataSource, DemoJobMix mix, TimeSpan tick, CancellationToken cancellationToken)
    {
        long fed = 0;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var enqueuer = new JobEnqueuer(await SchemaDetector.DetectAsync(connection, cancellationToken));
        using var timer = new PeriodicTimer(tick);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                var jobs = mix.NextTick(DateTimeOffset.UtcNow);
                await enqueuer.EnqueueManyAsync(connection, jobs, null, cancellationToken);
                fed += jobs.Count;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Duration elapsed or Ctrl-C.
        }

        return fed;
    }

    // After the stop: its own short deadline, since the run's token is already cancelled.
    private static async Task PrintFinalSummaryAsync(NpgsqlDataSource dataSource, long fed, TimeSpan elapsed)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(deadline.Token);
            var (counts, _) = await DemoSummary.ReadAsync(connection, deadline.Token);
            Console.WriteLine(DemoSummary.FormatFinal(counts, fed, elapsed));
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException)
        {
            Console.WriteLine($"demo summary: fed {fed} jobs in {elapsed.TotalSeconds:0} s; the final counts are unavailable: {ex.Message.Split('\n')[0]}");
        }
    }

    private static async Task SummariseAsync(NpgsqlDataSource dataSource, TimeSpan every, CancellationToken cancellationToken)
    {
        var started = DateTimeOffset.UtcNow;
        long previousDone = -1;
        var shownFailures = new HashSet<string>(StringComparer.Ordinal);
        using var timer = new PeriodicTimer(every);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                try
                {
                    await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
                    var (counts, failures) = await DemoSummary.ReadAsync(connection, cancellationToken);
                    var done = counts.TryGetValue("done", out var d) ? d : 0;
                    var newFailures = failures.Where(shownFailures.Add).ToList();
                    Console.WriteLine(DemoSummary.Format(counts, previousDone < 0 ? done : previousDone, every, newFailures, DateTimeOffset.UtcNow - started));
                    previousDone = done;
                }
                catch (NpgsqlException ex)
                {
                    Console.WriteLine($"summary unavailable: {ex.Message.Split('\n')[0]}");
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Duration elapsed or Ctrl-C.
        }
    }
}
