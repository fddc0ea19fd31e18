namespace QueueExporter.Runner.Servers;

/// <summary>
/// A database the runner serves, named across servers. <see cref="Key"/> is how the runner's core (the
/// scheduler, leases, the dispatcher, fleet assignment, /healthz) tells databases apart: the bare name when
/// the runner has one server, as OCA's runner and every earlier version name it, so a fleet of mixed
/// versions assigns alike; <c>name@server</c> with several, where two servers may each have a database
/// of the same name. Metrics carry <see cref="Server"/> and <see cref="Name"/> as labels of their own.
/// </summary>
/// <param name="Server">The server's name (<see cref="RunnerServer.Name"/>).</param>
/// <param name="Name">The database's name on that server: what runjob's <c>db=</c> carries.</param>
/// <param name="Key">Unique among the databases this runner serves.</param>
public sealed record DatabaseAddress(string Server, string Name, string Key)
{
    /// <summary>The address of <paramref name="name"/> on <paramref name="server"/>; <paramref name="severalServers"/>: whether the runner serves more than one.</summary>
    public static DatabaseAddress Of(RunnerServer server, string name, bool severalServers)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentException.ThrowIfNullOrEmpty(name);
        return new DatabaseAddress(server.Name, name, severalServers ? $"{name}@{server.Name}" : name);
    }
}
