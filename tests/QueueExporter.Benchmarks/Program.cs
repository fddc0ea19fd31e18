using System.Diagnostics;
using QueueExporter.Benchmarks;
using QueueExporter.Benchmarks.Rig;
using QueueExporter.Benchmarks.Scenarios;

// The performance harness: see docs/benchmarks.md. Every scenario is bounded in count and time,
// talks to 127.0.0.1 only, and runs against its own durable PostgreSQL cluster, stopped at the end.
string[] scenarios = ["ceiling", "throughput", "processes", "burst", "latency", "memory", "transactions", "fleet", "scrape"];
// Options that take a value: each value is read once, and a flag without one is refused in one line.
var values = new HashSet<int>();
string? missing = null;
string? Option(string flag, string needs)
{
    var at = Array.IndexOf(args, flag);
    if (at < 0)
    {
        return null;
    }

    if (at + 1 >= args.Length || args[at + 1].StartsWith("--", StringComparison.Ordinal))
    {
        missing ??= $"{flag} needs {needs}";
        return null;
    }

    values.Add(at + 1);
    return args[at + 1];
}

var quick = args.Contains("--quick");
var jsonPath = Option("--json", "a file to write the figures to, e.g. --json out.json");
// A native runner (scripts/publish.sh --aot) measured in place of the built one, for the runner processes only.
var runnerBinary = Option("--runner-binary", "the path of a native runner (scripts/publish.sh --aot)");
// A fixed offered rate for the processes scenario, so that two builds are compared doing the same work.
var rateText = Option("--rate", "a positive number of jobs per second, e.g. --rate 250");
// A checkout of OCA/queue: the processes scenario also runs OCA's runner through the same worker, in the same run.
var ocaQueue = Option("--oca-queue", "the directory of a checkout of OCA/queue (the one holding queue_job/)");
if (missing is not null)
{
    Console.Error.WriteLine(missing);
    return 2;
}

double? rate = null;
if (rateText is not null)
{
    if (!double.TryParse(rateText, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var offered) || !(offered > 0) || double.IsInfinity(offered))
    {
        Console.Error.WriteLine("--rate needs a positive number of jobs per second, e.g. --rate 250");
        return 2;
    }

    rate = offered;
}

if (runnerBinary is not null)
{
    ExporterProcess.RunnerBinary = Path.GetFullPath(runnerBinary);
}

if (ocaQueue is not null)
{
    ocaQueue = Path.GetFullPath(ocaQueue);
    if (OcaRunnerTree.Problem(ocaQueue) is { } problem)
    {
        Console.Error.WriteLine(problem);
        return 2;
    }
}

var positional = args.Where((a, i) => !a.StartsWith("--", StringComparison.Ordinal) && !values.Contains(i)).ToList();
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
