using System.Collections.Concurrent;
using QueueExporter.Runner.Database;
using QueueExporter.Runner.Dispatch;
using QueueExporter.Runner.Leadership;

namespace QueueExporter.Tests.Runner.Glue;

/// <summary>A database as the dispatcher sees it, recording the requests it receives.</summary>
internal sealed class FakeDispatchTarget(Lease? lease) : IDispatchTarget
{
    public Lease? CurrentLease { get; set; } = lease;

    public FakeRunnerStore FakeStore { get; } = new();

    public EnqueueEchoes Echoes { get; } = new();

    public IRunnerStore Store => FakeStore;

    public ConcurrentQueue<string> Requests { get; } = new();

    public void RequestReread(IReadOnlyCollection<string> uuids) => Requests.Enqueue("reread " + string.Join(",", uuids.Order(StringComparer.Ordinal)));

    public void RequestReload() => Requests.Enqueue("reload");

    public void ReportLeaseLost(Lease lease) => Requests.Enqueue($"lease lost {lease.Epoch}");
}
