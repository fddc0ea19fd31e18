using Npgsql;
using QueueExporter.QueueJob.Connection;

namespace QueueExporter.Runner.Servers;

/// <summary>
/// The databases to serve on one server, as last found there. Each server is listed on its own, so one that
/// is down or refuses the listing delays nothing on the others; its databases found before stay served
/// (their own sessions notice an outage), and the listing is tried again sooner than the discovery interval.
/// Used by the runner's control loop only, one call at a time.
/// </summary>
internal sealed class ServerDiscovery
{
    private readonly QueueJobDatabases _resolver;
    private readonly bool _severalServers;

    public ServerDiscovery(RunnerServer server, string applicationName, bool severalServers)
    {
        Server = server ?? throw new ArgumentNullException(nameof(server));
        _resolver = new QueueJobDatabases(server.Endpoint, server.Databases, applicationName, server.DatabaseFilter);
        _severalServers = severalServers;
    }

    public RunnerServer Server { get; }

    /// <summary>The databases found at the last successful listing, sorted by name; null before one succeeded.</summary>
    public IReadOnlyList<DatabaseAddress>? Found { get; private set; }

    /// <summary>Why the last listing failed, in one line; null when it worked.</summary>
    public string? Failure { get; private set; }

    /// <summary>When the control loop should list again: never for named databases once found.</summary>
    public DateTimeOffset? NextAttempt { get; private set; } = DateTimeOffset.MinValue;

    /// <summary>Lists the server's databases once; returns the failure (already recorded in <see cref="Failure"/>), or null.</summary>
    /// <param name="now">The time of the attempt.</param>
    /// <param name="interval">Time to the next listing after a success, for a discovering server.</param>
    /// <param name="retryDelay">Time to the next attempt after a failure.</param>
    /// <param name="cancellationToken">Stops the listing.</param>
    public async Task<Exception?> RefreshAsync(DateTimeOffset now, TimeSpan interval, TimeSpan retryDelay, CancellationToken cancellationToken)
    {
        try
        {
            var names = Found is { } known
                ? await _resolver.DiscoverAsync(cancellationToken, known.Select(d => d.Name).ToHashSet(StringComparer.Ordinal))
                : await _resolver.ResolveAsync(cancellationToken);
            Found = [.. names.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Select(name => DatabaseAddress.Of(Server, name, _severalServers))];
            Failure = null;
            NextAttempt = Server.Discovers ? now + interval : null;
            return null;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            Failure = $"{ex.GetType().Name}: {DatabaseErrorDescriber.Describe(ex, Server.Endpoint)}";
            NextAttempt = now + retryDelay;
            return ex;
        }
    }
}
