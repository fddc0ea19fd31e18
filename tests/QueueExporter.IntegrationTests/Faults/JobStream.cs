using System.Collections.Concurrent;
using System.Globalization;
using Npgsql;
using QueueExporter.QueueJob.Enqueue;
using QueueExporter.QueueJob.Schema;
using QueueExporter.TestSupport;

namespace QueueExporter.IntegrationTests.Faults;

/// <summary>
/// Enqueues jobs one by one at seeded-random intervals, as an application would, until it has
/// enqueued at least its minimum and is told to stop. It rides out a database outage: every job has
/// a uuid chosen here, so after a failed insert it checks whether the row made it before inserting
/// again (a commit can succeed while its answer is lost), and no job is counted twice or missed.
/// </summary>
public sealed class JobStream : IAsyncDisposable
{
    private static readonly TimeSpan RetryPause = TimeSpan.FromMilliseconds(200);

    private readonly TestDatabase _database;
    private readonly Random _random;
    private readonly Func<Random, (double Seconds, string Mode)> _pick;
    private readonly string _model;
    private readonly string _method;
    private readonly TimeSpan _maxGap;
    private readonly int _minimum;
    private readonly ConcurrentQueue<StreamedJob> _jobs = new();
    private readonly CancellationTokenSource _stop = new();
    private Task _running = Task.CompletedTask;

    /// <param name="database">Where the jobs go.</param>
    /// <param name="seed">Seeds the stream's own random source (pacing and job mix).</param>
    /// <param name="minimum">Jobs enqueued at least before <see cref="FinishAsync"/> stops the stream.</param>
    /// <param name="maxGap">Longest pause between two jobs.</param>
    /// <param name="pick">Chooses each job's duration and mode (<c>ok</c>, <c>fail</c>, <c>flaky</c>) from the stream's own random source.</param>
    /// <param name="model">model_name of the jobs.</param>
    /// <param name="method">method_name of the jobs.</param>
    public JobStream(TestDatabase database, int seed, int minimum, TimeSpan maxGap, Func<Random, (double Seconds, string Mode)> pick, string model = RecordingWorker.Model, string method = RecordingWorker.Method)
    {
        _database = database;
        _random = new Random(seed);
        _minimum = minimum;
        _maxGap = maxGap;
        _pick = pick;
        _model = model;
        _method = method;
    }

    /// <summary>Mostly short jobs, some long ones (mid-run when a fault strikes), 10 % failing, 10 % retried once.</summary>
    public static (double Seconds, string Mode) MixedJobs(Random random)
    {
        var seconds = random.NextDouble() < 0.15 ? 1 + (random.NextDouble() * 2) : random.NextDouble() * 0.3;
        var roll = random.NextDouble();
        return (Math.Round(seconds, 3), roll < 0.1 ? "fail" : roll < 0.2 ? "flaky" : "ok");
    }

    /// <summary>
    /// <see cref="MixedJobs"/> plus 5 % long jobs (6-8 s: longer than the test grace plus the longest
    /// outage), so that a fault finds a handler that is still running when its job could be requeued.
    /// Few enough that a full-mode stream (600 jobs) still settles within its deadline.
    /// </summary>
    public static (double Seconds, string Mode) MixedWithLongJobs(Random random)
    {
        var (seconds, mode) = MixedJobs(random);
        return random.NextDouble() < 0.05 ? (Math.Round(6 + (random.NextDouble() * 2), 3), mode) : (seconds, mode);
    }

    /// <summary>Every job enqueued so far.</summary>
    // ToArray, not a collection expression: that may size its array from Count and then enumerate, and
    // a job enqueued in between overflows it (ExecutionLog threw IndexOutOfRangeException so in CI).
    public IReadOnlyList<StreamedJob> Jobs => _jobs.ToArray();

    public int Count => _jobs.Count;

    /// <summary>How many inserts failed (and were checked and retried) because the database was away.</summary>
    public int FailedInserts { get; private set; }

    public void Start() => _running = Task.Run(() => RunAsync(_stop.Token));

    /// <summary>Lets the stream reach its minimum, then stops it and returns every job it enqueued.</summary>
    public async Task<IReadOnlyList<StreamedJob>> FinishAsync(TimeSpan timeout)
    {
        await Eventually.UntilAsync(() => _jobs.Count >= _minimum || _running.IsCompleted, timeout, $"the stream enqueues its {_minimum} jobs");
        await _stop.CancelAsync();
        await _running;
        return Jobs;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _running;
        _stop.Dispose();
    }

    private async Task RunAsync(CancellationToken stop)
    {
        QueueJobSchema schema;
        await using (var connection = await OpenAsync(stop))
        {
            schema = await SchemaDetector.DetectAsync(connection, stop);
        }

        var enqueuer = new JobEnqueuer(schema);
        while (!stop.IsCancellationRequested)
        {
            var (seconds, mode) = _pick(_random);
            var job = new StreamedJob(Guid.NewGuid().ToString(), seconds, mode, mode == "fail" ? JobStates.Failed : JobStates.Done);
            await InsertAsync(enqueuer, job, stop);
            _jobs.Enqueue(job);
            try
            {
                // Pacing of the stream (how fast the application produces jobs), not a wait for a condition.
                await Task.Delay(_maxGap * _random.NextDouble(), stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task InsertAsync(JobEnqueuer enqueuer, StreamedJob job, CancellationToken stop)
    {
        var newJob = new NewJob
        {
            ModelName = _model,
            MethodName = _method,
            Uuid = job.Uuid,
            ArgsJson = _model == RecordingWorker.Model
                ? string.Create(CultureInfo.InvariantCulture, $"[{job.Seconds}, \"{job.Mode}\"]")
                : string.Create(CultureInfo.InvariantCulture, $"[{job.Seconds}]"),
            MaxRetries = 0,
        };

        // Once started, a job is finished even when the stream is told to stop meanwhile.
        var giveUp = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            try
            {
                await using var connection = await OpenAsync(CancellationToken.None);
                if (!await ExistsAsync(connection, job.Uuid))
                {
                    await enqueuer.EnqueueAsync(connection, newJob, null, CancellationToken.None);
                }

                return;
            }
            catch (Exception ex) when ((ex is NpgsqlException or TimeoutException or InvalidOperationException) && DateTime.UtcNow < giveUp)
            {
                FailedInserts++;
                await Task.Delay(RetryPause, CancellationToken.None);
            }
        }
    }

    private async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(_database.Endpoint.ToConnectionString("qe-fault-stream", pooling: false));
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    private static async Task<bool> ExistsAsync(NpgsqlConnection connection, string uuid)
    {
        await using var command = new NpgsqlCommand("SELECT 1 FROM queue_job WHERE uuid = @uuid", connection);
        command.Parameters.AddWithValue("uuid", uuid);
        return await command.ExecuteScalarAsync() is not null;
    }
}
