using System.Globalization;
using Npgsql;

namespace QueueExporter.Runner.Database;

/// <summary>
/// Settings of the leader's listening session that bound how long a silent network partition can keep
/// a lease alive. Client side, the listener pings every <see cref="ClientPingInterval"/> (notifications
/// or not) with a command timeout of the same length, so the runner drops its own lease after at most
/// twice that. Server side, <c>idle_session_timeout</c> (PostgreSQL 14+) ends a session that has not
/// pinged for <see cref="ServerDetection"/>, and with it the advisory lock, so a standby can take over:
/// later than the old leader gives up, never earlier. That also covers what TCP keepalives cannot see (a
/// frozen runner host, a proxy that stops forwarding while its sockets stay up); TCP keepalives and a user
/// timeout are set too, for servers before 14. Without any of this, PostgreSQL keeps the lock until the
/// OS gives up (~2 h).
/// </summary>
internal static class LeaderSessionSettings
{
    /// <summary>The listening session's keepalive ping interval (and that ping's timeout).</summary>
    public static readonly TimeSpan ClientPingInterval = TimeSpan.FromSeconds(5);

    /// <summary>How long the server lets the leader session stay silent before ending it (3 missed pings).</summary>
    public static readonly TimeSpan ServerDetection = TimeSpan.FromSeconds(15);

    /// <summary>The listener's connection string: unpooled, client TCP keepalives, ping timeout.</summary>
    public static string ConnectionString(string baseConnectionString) =>
        new NpgsqlConnectionStringBuilder(baseConnectionString)
        {
            Pooling = false,
            // The runner reads and writes only PostgreSQL's built-in types: loading the server's whole pg_type
            // catalogue costs a round trip and its parsing before the lock is even tried. The listener opens its
            // connection from a connection string, so the (obsolete, still supported) keyword is the only way in.
#pragma warning disable CS0618
            ServerCompatibilityMode = ServerCompatibilityMode.NoTypeLoading,
#pragma warning restore CS0618
            TcpKeepAlive = true,
            TcpKeepAliveTime = 5,
            TcpKeepAliveInterval = 2,
            CommandTimeout = (int)ClientPingInterval.TotalSeconds,
        }.ConnectionString;

    /// <summary>Applies the server-side settings this server version knows (unknown names would fail the session).</summary>
    public static async Task ApplyAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var settings = new List<(string Name, string Value)>
        {
            ("tcp_keepalives_idle", "5"),
            ("tcp_keepalives_interval", "2"),
            ("tcp_keepalives_count", "3"),
        };
        var version = connection.PostgreSqlVersion;
        if (version.Major >= 12)
        {
            settings.Add(("tcp_user_timeout", ((int)ServerDetection.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)));
        }

        if (version.Major >= 14)
        {
            settings.Add(("idle_session_timeout", ((int)ServerDetection.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)));
            settings.Add(("client_connection_check_interval", "5000"));
        }

        await using var command = new NpgsqlCommand("SELECT " + string.Join(", ", settings.Select((_, i) => $"set_config(@n{i}, @v{i}, false)")), connection);
        for (var i = 0; i < settings.Count; i++)
        {
            command.Parameters.AddWithValue("n" + i, settings[i].Name);
            command.Parameters.AddWithValue("v" + i, settings[i].Value);
        }

        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
