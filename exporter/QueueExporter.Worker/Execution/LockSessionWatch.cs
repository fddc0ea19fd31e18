using Npgsql;

namespace QueueExporter.Worker.Execution;

/// <summary>
/// Checks, while a handler runs, that the session holding the job's queue_job_lock row is alive: a
/// <c>SELECT 1</c> on that very connection (the handler never uses it) every interval, each allowed
/// the check timeout. When PostgreSQL restarted, the session was terminated or does not answer, the
/// row is (or may be) free and a runner will requeue the job after its grace: <see cref="Lost"/> fires
/// so that the handler stops first. Worst case from the session's death to <see cref="Lost"/>:
/// interval + timeout, which <see cref="WorkerOptions.Validate"/> keeps below the dead-job grace.
/// </summary>
internal sealed class LockSessionWatch : IAsyncDisposable
{
    private readonly CancellationTokenSource _lost = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _watching;

    private LockSessionWatch(NpgsqlConnection connection, NpgsqlTransaction transaction, TimeSpan interval, TimeSpan timeout, TimeProvider time) =>
        _watching = Task.Run(() => WatchAsync(connection, transaction, interval, timeout, time));

    /// <summary>Cancelled when the lock session is found dead or unresponsive.</summary>
    public CancellationToken Lost => _lost.Token;

    public bool IsLost => _lost.IsCancellationRequested;

    /// <summary>Why the session counts as lost.</summary>
    public Exception? Failure { get; private set; }

    /// <summary>Starts watching the session of <paramref name="transaction"/>.</summary>
    public static LockSessionWatch Start(NpgsqlTransaction transaction, TimeSpan interval, TimeSpan timeout, TimeProvider time) =>
        new(transaction.Connection!, transaction, interval, timeout, time);

    /// <summary>Stops the checks and waits until none is in flight, so the connection is free for the run's writes.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _watching;
        _stop.Dispose();
        _lost.Dispose();
    }

    private async Task WatchAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, TimeSpan interval, TimeSpan timeout, TimeProvider time)
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, time, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            // Not cancelled by the stop token: cancelling a statement inside the run's transaction would
            // abort the transaction. A stuck check ends by its own command timeout (the connection breaks).
            await using var command = new NpgsqlCommand("SELECT 1", connection, transaction)
            {
                CommandTimeout = Math.Max(1, (int)Math.Ceiling(timeout.TotalSeconds)),
            };
            var check = command.ExecuteScalarAsync(CancellationToken.None);
            try
            {
                await check.WaitAsync(timeout, time);
            }
#pragma warning disable CA1031 // Any failure of the check means the lock can no longer be vouched for.
            catch (Exception e)
#pragma warning restore CA1031
            {
                Failure = e;
                await _lost.CancelAsync();
                // Wait for a check that timed out only so that the connection is never used twice at once.
                try
                {
                    await check;
                }
#pragma warning disable CA1031 // Its failure is already recorded as the reason.
                catch (Exception)
#pragma warning restore CA1031
                {
                }

                return;
            }
        }
    }
}
