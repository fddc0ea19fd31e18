using System.Globalization;

namespace QueueExporter.IntegrationTests.Faults;

/// <summary>
/// How hard the fault suite pushes. The default smoke mode keeps every test well under a minute on
/// two cores so that <c>./test.sh</c> can run it every time; <c>QUEUE_EXPORTER_FAULTS_FULL=1</c> runs
/// longer streams with more kills, restarts and outages. Every random choice comes from one seed,
/// taken from <c>QUEUE_EXPORTER_FAULTS_SEED</c> when set (to replay a failure), else fresh per run and
/// printed in every assertion message.
/// </summary>
public sealed record FaultSettings
{
    public const string FullVariable = "QUEUE_EXPORTER_FAULTS_FULL";
    public const string SeedVariable = "QUEUE_EXPORTER_FAULTS_SEED";
    public const string ReportVariable = "QUEUE_EXPORTER_FAULTS_REPORT";

    /// <summary>Whether the long mode is on.</summary>
    public required bool Full { get; init; }

    /// <summary>The seed of this test's <see cref="Random"/>.</summary>
    public required int Seed { get; init; }

    /// <summary>Leader SIGKILLs in the failover scenario.</summary>
    public int LeaderKills => Full ? 8 : 2;

    /// <summary>Worker SIGKILLs in the worker-crash scenario.</summary>
    public int WorkerKills => Full ? 10 : 3;

    /// <summary>Slow jobs in the worker-crash scenario.</summary>
    public int SlowJobs => Full ? 200 : 20;

    /// <summary>PostgreSQL restarts in the database scenario.</summary>
    public int DatabaseRestarts => Full ? 5 : 1;

    /// <summary>Times every session of the worker is terminated (pg_terminate_backend) while long jobs run.</summary>
    public int SessionTerminations => Full ? 6 : 2;

    /// <summary>Outage cycles (answer 500, then refuse connections) in the unreliable-worker scenario.</summary>
    public int WorkerOutages => Full ? 3 : 1;

    /// <summary>Least number of jobs a stream enqueues (it runs on until its scenario's faults are done).</summary>
    public int StreamJobs => Full ? 600 : 40;

    /// <summary>How long all jobs may take to settle after the last fault.</summary>
    public TimeSpan SettleTimeout => Full ? TimeSpan.FromMinutes(3) : TimeSpan.FromSeconds(40);

    /// <summary>Reads the mode and seed from the environment.</summary>
    public static FaultSettings FromEnvironment()
    {
        var full = Environment.GetEnvironmentVariable(FullVariable) is "1" or "true";
        var seed = int.TryParse(Environment.GetEnvironmentVariable(SeedVariable), NumberStyles.Integer, CultureInfo.InvariantCulture, out var fixedSeed)
            ? fixedSeed
            : Random.Shared.Next();
        return new FaultSettings { Full = full, Seed = seed };
    }

    /// <summary>Text to append to every assertion message, so that a failure can be replayed.</summary>
    public string Replay => $"(seed {Seed}, {(Full ? "full" : "smoke")} mode; replay with {SeedVariable}={Seed}{(Full ? $" {FullVariable}=1" : "")})";
}
