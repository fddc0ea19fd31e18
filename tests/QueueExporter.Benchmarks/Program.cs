using System.Diagnostics;
using QueueExporter.Benchmarks;
using QueueExporter.Benchmarks.Rig;
using QueueExporter.Benchmarks.Scenarios;

// The performance harness: see docs/benchmarks.md. Every scenario is bounded in count and time,
// talks to 127.0.0.1 only, and runs against its own durable PostgreSQL cluster, stopped at the end.
string[] scenarios = ["ceiling", "throughput", "processes", "burst", "latency", "memory", "transactions", "fleet", "scrape"];
var positional = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToList();
var quick = args.Contains("--quick");
var jsonIndex = Array.IndexOf(args, "--json");
var jsonPath = jsonIndex >= 0 && jsonIndex + 1 < args.Length ? args[jsonIndex + 1] : null;
if (jsonPath is not null)
{
    positional.Remove(jsonPath);
}

// A native runner (scripts/publish.sh --aot) measured in place of the built one, for the runner processes only.
var runnerIndex = Array.IndexOf(args, "--runner-binary");
if (runnerIndex >= 0 && runnerIndex + 1 < args.Length)
{
    ExporterProcess.RunnerBinary = Path.GetFullPath(args[runnerIndex + 1]);
    positional.Remove(args[runnerIndex + 1]);
}

// A fixed offered rate for the processes scenario, so that two builds are compared doing the same work.
double? rate = null;
var rateIndex = Array.IndexOf(args, "--rate");
if (rateIndex >= 0)
{
    if (rateIndex + 1 >= args.Length || !double.TryParse(args[rateIndex + 1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var offered) || !(offered > 0) || double.IsInfinity(offered))
    {
        Console.Error.WriteLine("--rate needs a positive number of jobs per second, e.g. --rate 250");
        return 2;
    }

    rate = offered;
    positional.Remove(args[rateIndex + 1]);
}

// A checkout of OCA/queue: the processes scenario also runs OCA's runner through the same worker, in the same run.
string? ocaQueue = null;
var ocaIndex = Array.IndexOf(args, "--oca-queue");
if (ocaIndex >= 0)
{
    if (ocaIndex + 1 >= args.Length || args[ocaIndex + 1].StartsWith("--", StringComparison.Ordinal))
    {
        Console.Error.WriteLine("--oca-queue needs the directory of a checkout of OCA/queue (the one holding queue_job/)");
        return 2;
    }

    ocaQueue = Path.GetFullPath(args[ocaIndex + 1]);
    positional.Remove(args[ocaIndex + 1]);
    if (OcaRunnerTree.Problem(ocaQueue) is { } problem)
    {
        Console.Error.WriteLine(problem);
        return 2;
    }
}

var selected = positional.Count == 1 && positional[0] == "all" ? scenarios : positional.SelectMany(p => p.Split(',', StringSplitOptions.RemoveEmptyEntries)).ToArray();
if (selected.Length == 0 || selected.Any(s => !scenarios.Contains(s)))
{
    Console.Error.WriteLine($"usage: dotnet run --project tests/QueueExporter.Benchmarks -c Release -- <{string.Join('|', scenarios)}|all>[,more...] [--quick] [--json FILE] [--runner-binary PATH] [--rate JOBS_PER_S] [--oca-queue DIR]");
    return 2;
}

foreach (var (given, flag) in (ReadOnlySpan<(bool, string)>)[(rate is not null, "--rate"), (ocaQueue is not null, "--oca-queue")])
{
    if (given && !selected.Contains("processes"))
    {
        Console.Error.WriteLine($"{flag} applies to the processes scenario only: add processes, or leave {flag} out");
        return 2;
    }
}

var settings = new BenchmarkSettings(quick) { FixedRate = rate, OcaQueue = ocaQueue };
var table = new FigureTable();
var total = Stopwatch.StartNew();
Console.WriteLine($"queue-exporter benchmarks: {string.Join(", ", selected)}{(quick ? " (quick)" : "")}{(rate is { } r ? $" (processes at {r:0.#} jobs/s offered)" : "")}; {Environment.ProcessorCount} cores; load average {LoadAverage()}");
await using (var cluster = await BenchmarkCluster.StartAsync())
{
    foreach (var scenario in selected)
    {
        Console.WriteLine($"== {scenario}");
        var clock = Stopwatch.StartNew();
        await (scenario switch
        {
            "ceiling" => CeilingAllModesAsync(cluster, settings, table),
            "throughput" => ThroughputScenario.RunAsync(cluster, settings, table),
            "burst" => BurstScenario.RunAsync(cluster, settings, table),
            "latency" => LatencyScenario.RunAsync(cluster, settings, table),
            "memory" => MemoryScenario.RunAsync(cluster, settings, table),
            "fleet" => FleetScenario.RunAsync(cluster, settings, table),
            "scrape" => ScrapeScenario.RunAsync(cluster, settings, table),
            "processes" => ProcessesScenario.RunAsync(cluster, settings, table),
            _ => TransactionsScenario.RunAsync(cluster, settings, table),
        });
        Console.WriteLine($"   ({clock.Elapsed.TotalSeconds:0.0} s)");
    }
}

Console.WriteLine();
Console.WriteLine(table.ToMarkdown());
Console.WriteLine($"total {total.Elapsed.TotalSeconds:0} s; load average now {LoadAverage()}");
if (jsonPath is not null)
{
    await File.WriteAllTextAsync(jsonPath, table.ToJson());
}

return 0;

static async Task CeilingAllModesAsync(BenchmarkCluster cluster, BenchmarkSettings settings, FigureTable table)
{
    await CeilingScenario.MeasureAsync(cluster, settings, table, CommitMode.Durable);
    await CeilingScenario.MeasureAsync(cluster, settings, table, CommitMode.Async);
}

static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";
