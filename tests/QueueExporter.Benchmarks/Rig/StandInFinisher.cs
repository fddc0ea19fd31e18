using System.Threading.Channels;
using Npgsql;
using NpgsqlTypes;

namespace QueueExporter.Benchmarks.Rig;

/// <summary>
/// The stand-in worker's back end: jobs it was asked to run are marked done in batches (one UPDATE
/// per batch, on one connection), so the runner sees its slots freed through the usual notifications
/// while the database does a small fraction of a real worker's per-job writes.
/// </summary>
internal sealed class StandInFinisher : IAsyncDisposable
{
    private const int MaxBatch = 1000;

    private readonly Channel<string> _queue = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _loop;

    public StandInFinisher(string connectionString, ArrivalProbe probe) => _loop = Task.Run(() => RunAsync(connectionString, probe));

    public void Finish(string uuid) => _queue.Writer.TryWrite(uuid);

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop;
    }

    private async Task RunAsync(string connectionString, ArrivalProbe probe)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var batch = new List<string>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var uuid))
            {
                batch.Add(uuid);
            }

            await using var command = new NpgsqlCommand(
                "UPDATE queue_job SET state = 'done', date_done = now() AT TIME ZONE 'utc' WHERE uuid = ANY(@uuids) AND state IN ('enqueued', 'started')",
                connection);
            command.Parameters.Add(new NpgsqlParameter<string[]>("uuids", NpgsqlDbType.Array | NpgsqlDbType.Varchar) { TypedValue = [.. batch] });
            await command.ExecuteNonQueryAsync();
            foreach (var _ in batch)
            {
                probe.RecordCompletion();
            }

            batch.Clear();
        }
    }
}
