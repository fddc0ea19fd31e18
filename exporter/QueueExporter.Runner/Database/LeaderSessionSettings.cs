using System.Globalization;
using Npgsql;

namespace QueueExporter.Runner.Database;

/// <summary>
/// Settings of the leader's listening session that bound how long a silent network partition can keep
/// a lease alive. Server side, TCP keepalives (and a user timeout for unacknowledged NOTIFY data) end
/// the session, and with it the advisory lock, after about <see cref="ServerDetection"/>, so a standby
/// can take over. Client side, the listener pings every <see cref="ClientPingInterval"/> with a command
/// timeout of the same length, so the runner drops its own lease after about twice that: before the
/// server lets anyone else lead. Without these, PostgreSQL keeps the lock until the OS gives up (~2 h).
/// </summary>
internal static class LeaderSessionSettings
{
    /// <summary>The listening session's keepalive ping interval (and that ping's timeout).</summary>
    public static readonly TimeSpan ClientPingInterval = TimeSpan.FromSeconds(5);

    /// <summary>Upper bound of the server noticing a silent client: idle 5 s + 3 probes 2 s apart, or 15 s of unacknowledged data.</summary>
    public static readonly TimeSpan ServerDetection = TimeSpan.FromSeconds(15);

    /// <summary>The listener's connection string: unpooled, client TCP keepalives, ping timeout.</summary>
    public static string ConnectionString(string baseConnectionString) =>
        new NpgsqlConnectionStringBuilder(baseConnectionString)
        {
            Pooling = false,
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
