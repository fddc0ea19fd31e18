using System.Collections.Concurrent;
using Npgsql;
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

    public Task<JobRows> ReadByUuidsAsync(IReadOnlyCollection<string> uuids, CancellationToken cancellationToken) => Task.FromResult(Record("reread", JobRows.Empty()));

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
