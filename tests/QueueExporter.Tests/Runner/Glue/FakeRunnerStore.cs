using System.Collections.Concurrent;
using Npgsql;
using QueueExporter.Runner.Channels;
using QueueExporter.Runner.Database;
using QueueExporter.Runner.Leadership;
using QueueExporter.Runner.Rescue;

namespace QueueExporter.Tests.Runner.Glue;

/// <summary>An <see cref="IRunnerStore"/> that records its calls and answers as a test says.</summary>
internal sealed class FakeRunnerStore : IRunnerStore
{
    public ConcurrentQueue<string> Calls { get; } = new();

    /// <summary>Which of the asked uuids the enqueue UPDATE moves.</summary>
    public Func<IReadOnlyCollection<string>, HashSet<string>> Moves { get; set; } = uuids => [.. uuids];

    public bool LeaseHeld { get; set; } = true;

    public TaskCompletionSource<(Lease Lease, string Uuid)> Reset { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>What a load does with its sink after it is recorded; by default nothing (an empty table).</summary>
    public Func<IJobLoadSink, CancellationToken, Task>? Load { get; set; }

    /// <summary>What a warm-up does; by default nothing. Warm-ups are not recorded in <see cref="Calls"/>.</summary>
    public Func<Task>? WarmUp { get; set; }

    public Task LoadActiveAsync(NpgsqlConnection? session, IJobLoadSink sink, CancellationToken cancellationToken) =>
        Record("load", Load)?.Invoke(sink, cancellationToken) ?? Task.CompletedTask;

    public Task WarmUpAsync(CancellationToken cancellationToken) => WarmUp?.Invoke() ?? Task.CompletedTask;

    /// <summary>Every re-read, its uuids sorted ("reread a,b"), as it happens: what a test waits on.</summary>
    public System.Threading.Channels.Channel<string> Rereads { get; } = System.Threading.Channels.Channel.CreateUnbounded<string>();

    /// <summary>The state a re-read finds each job in; a job not listed has no row.</summary>
    public ConcurrentDictionary<string, string> States { get; } = new(StringComparer.Ordinal);

    public Task<JobRows> ReadByUuidsAsync(IReadOnlyCollection<string> uuids, CancellationToken cancellationToken)
    {
        var rows = JobRows.Empty();
        foreach (var uuid in uuids)
        {
            if (States.TryGetValue(uuid, out var state))
            {
                rows.Facts.Add(new JobFacts("db", uuid, state, null, 10, DateTimeOffset.UnixEpoch, 1, null));
            }
        }

        Rereads.Writer.TryWrite("reread " + string.Join(",", uuids.Order(StringComparer.Ordinal)));
        return Task.FromResult(Record("reread", rows));
    }

    public Task<IReadOnlyList<RescuedJob>> RescueAsync(Lease lease, NpgsqlConnection? session, CancellationToken cancellationToken) => Task.FromResult(Record<IReadOnlyList<RescuedJob>>("rescue", []));

    public Task<HashSet<string>> MarkEnqueuedAsync(Lease lease, IReadOnlyCollection<string> uuids, DateTimeOffset now, CancellationToken cancellationToken) =>
        Task.FromResult(Record($"mark epoch {lease.Epoch}: {string.Join(",", uuids.Order(StringComparer.Ordinal))}", Moves(uuids)));

    public Task<bool> IsLeaseHeldAsync(Lease lease, CancellationToken cancellationToken) => Task.FromResult(Record($"lease? epoch {lease.Epoch}", LeaseHeld));

    public Task<bool> ResetToPendingAsync(Lease lease, string uuid, CancellationToken cancellationToken)
    {
        Reset.TrySetResult((lease, uuid));
        return Task.FromResult(Record($"reset {uuid}", true));
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private T Record<T>(string call, T result)
    {
        Calls.Enqueue(call);
        return result;
    }
}
