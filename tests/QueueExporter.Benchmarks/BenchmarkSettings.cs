namespace QueueExporter.Benchmarks;

/// <summary>
/// Sizes of every scenario. <see cref="Quick"/> is the smoke-test mode: a few hundred jobs in all,
/// each phase a second or two, so the whole suite stays well under 30 s on a loaded 2-core machine.
/// </summary>
internal sealed record BenchmarkSettings(bool Quick)
{
    /// <summary>
    /// Jobs per second the <c>processes</c> producers offer in all (<c>--rate N</c>); null: as fast as the flow takes
    /// them. A saturating flow merges more notifications per read the slower the machine is at that moment, so its CPU
    /// per job moves with the machine's noise; at a fixed rate below the flow's ceiling two builds do the same work.
    /// </summary>
    public double? FixedRate { get; init; }

    /// <summary>A checkout of OCA/queue (<c>--oca-queue DIR</c>): the <c>processes</c> scenario then also runs OCA's runner in place of ours; null: ours only.</summary>
    public string? OcaQueue { get; init; }

    /// <summary>pgbench clients and the runner's root capacity: the same concurrency on both sides of a ratio.</summary>
    public int Concurrency => 8;

    /// <summary>The runner's root capacities the throughput scenario runs with.</summary>
    public IReadOnlyList<int> FlowCapacities => Quick ? [Concurrency] : [Concurrency, 32];

    /// <summary>Producer connections inserting one job per transaction in the throughput scenario.</summary>
    public int Producers => 4;

    public TimeSpan CeilingDuration => Quick ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(20);

    public TimeSpan ThroughputWarmup => Quick ? TimeSpan.FromSeconds(0.5) : TimeSpan.FromSeconds(5);

    /// <summary>Warm-up of the flow of fresh runner and worker processes before their CPU is counted.</summary>
    public TimeSpan ProcessWarmup => Quick ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(20);

    public TimeSpan ThroughputWindow => Quick ? TimeSpan.FromSeconds(1.5) : TimeSpan.FromSeconds(20);

    /// <summary>Jobs a processes window must see finish before its per-job figures are read (the window is extended until then).</summary>
    public int MinimumWindowJobs => Quick ? 20 : 200;

    /// <summary>The window of the processes scenario's second run, through the relays that count round trips (a per-job ratio settles fast).</summary>
    public TimeSpan WireWindow => Quick ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(10);

    /// <summary>Jobs inserted but not yet finished at most: producers wait beyond it, so the backlog stays bounded.</summary>
    public int MaxBacklog => Quick ? 50 : 200;

    public int BurstJobs => Quick ? 200 : 20_000;

    public int LatencyJobs => Quick ? 10 : 300;

    /// <summary>Pause between two latency probes: the runner is idle when each job arrives.</summary>
    public TimeSpan LatencyPause => TimeSpan.FromMilliseconds(Quick ? 20 : 50);

    public int MemoryJobs => Quick ? 50_000 : 1_000_000;

    /// <summary>How long an idle runner runs before its memory "at rest" is read.</summary>
    public TimeSpan RestSettle => Quick ? TimeSpan.FromSeconds(2) : TimeSpan.FromSeconds(15);

    public int TransactionJobs => Quick ? 150 : 1_000;

    /// <summary>Rows of the large queue_job table of the scrape scenario (1 % failed, the active set at its end).</summary>
    public int ScrapeLargeRows => Quick ? 20_000 : 10_000_000;

    /// <summary>Rows of the small table of the scrape scenario (the same active set).</summary>
    public int ScrapeSmallRows => Quick ? 4_000 : 100_000;

    /// <summary>Unfinished jobs of both tables: wait_dependencies, pending, enqueued and started.</summary>
    public int ScrapeActiveJobs => Quick ? 1_000 : 30_000;

    /// <summary>Pending jobs added to the large table for the backlog case.</summary>
    public int ScrapeBacklog => Quick ? 3_000 : 300_000;

    /// <summary>Calls of each measured query per case (after one warm-up).</summary>
    public int ScrapeCalls => Quick ? 2 : 5;

    /// <summary>Upper bound of any wait for jobs to finish; a scenario that hits it reports what it saw and fails.</summary>
    public TimeSpan DrainTimeout => Quick ? TimeSpan.FromSeconds(30) : TimeSpan.FromMinutes(3);
}
