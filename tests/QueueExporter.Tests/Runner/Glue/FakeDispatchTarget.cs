using System.Collections.Concurrent;
using QueueExporter.Runner.Database;
using QueueExporter.Runner.Dispatch;
using QueueExporter.Runner.Leadership;
using QueueExporter.Runner.Servers;

namespace QueueExporter.Tests.Runner.Glue;

/// <summary>A database as the dispatcher sees it, recording the requests it receives.</summary>
internal sealed class FakeDispatchTarget(Lease? lease) : IDispatchTarget
{
    public Lease? CurrentLease { get; set; } = lease;

    public DatabaseAddress Address { get; } = new("pg:5432", lease?.Database ?? "db", lease?.Database ?? "db");

    // Nothing listens on port 9 of loopback: a runjob call there fails at once as a connection error.
    public WorkerClient Worker { get; init; } = new(new Uri("http://127.0.0.1:9"), null, null, TimeSpan.FromSeconds(5));

    public FakeRunnerStore FakeStore { get; } = new();

    public EnqueueEchoes Echoes { get; } = new();

    public IRunnerStore Store => FakeStore;

    public ConcurrentQueue<string> Requests { get; } = new();

    public void RequestReread(IReadOnlyCollection<string> uuids) => Requests.Enqueue("reread " + string.Join(",", uuids.Order(StringComparer.Ordinal)));

    public void RequestReload() => Requests.Enqueue("reload");

    public void ReportLeaseLost(Lease lease) => Requests.Enqueue($"lease lost {lease.Epoch}");
}
