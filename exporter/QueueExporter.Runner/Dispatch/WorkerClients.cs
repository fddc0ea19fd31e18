using QueueExporter.Runner.Servers;

namespace QueueExporter.Runner.Dispatch;

/// <summary>
/// One runjob client per server the runner serves, each with the workers of that server's Odoo and its own
/// bound on connections: one slow installation's workers cannot hold the connections another's jobs need.
/// Servers sharing a worker URL share its client.
/// </summary>
internal sealed class WorkerClients : IDisposable
{
    private readonly Dictionary<Uri, WorkerClient> _byUrl = [];

    public WorkerClients(RunnerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        foreach (var server in options.Servers)
        {
            if (!_byUrl.ContainsKey(server.WorkerUrl))
            {
                _byUrl[server.WorkerUrl] = new WorkerClient(server.WorkerUrl, options.HttpAuthUser, options.HttpAuthPassword, options.HttpTimeout);
            }
        }
    }

    /// <summary>The client of <paramref name="server"/>'s workers.</summary>
    public WorkerClient For(RunnerServer server) => _byUrl[server.WorkerUrl];

    public void Dispose()
    {
        foreach (var client in _byUrl.Values)
        {
            client.Dispose();
        }
    }
}
