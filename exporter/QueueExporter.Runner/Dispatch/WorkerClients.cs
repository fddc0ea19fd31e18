using Microsoft.Extensions.Logging;
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

    public WorkerClients(RunnerOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        foreach (var server in options.Servers)
        {
            if (!_byUrl.ContainsKey(server.WorkerUrl))
            {
                _byUrl[server.WorkerUrl] = new WorkerClient(server.WorkerUrl, options.HttpAuthUser, options.HttpAuthPassword, options.HttpTimeout, time);
            }
        }
    }

    /// <summary>The client of <paramref name="server"/>'s workers.</summary>
    public WorkerClient For(RunnerServer server) => _byUrl[server.WorkerUrl];

    /// <summary>Opens each client's first connection ahead of its first call (<see cref="WorkerClient.WarmUpAsync"/>); a failure is only logged at debug. Never throws.</summary>
    public async Task WarmUpAsync(ILogger logger, CancellationToken cancellationToken)
    {
        var clients = _byUrl.ToList();
        var failures = await Task.WhenAll(clients.Select(c => c.Value.WarmUpAsync(cancellationToken)));
        for (var i = 0; i < clients.Count; i++)
        {
            if (failures[i] is { } failure)
            {
                RunnerLog.WorkerWarmUpFailed(logger, clients[i].Value.RunJobBase, failure);
            }
        }
    }

    public void Dispose()
    {
        foreach (var client in _byUrl.Values)
        {
            client.Dispose();
        }
    }
}
