namespace QueueExporter.QueueJob.Web;

/// <summary>
/// One reading of a <c>--web.config.file</c> (the Prometheus exporter-toolkit's format): TLS for the
/// listener when <see cref="Tls"/> is set, and HTTP basic auth on every path when <see cref="BasicAuthUsers"/> is not empty.
/// </summary>
/// <param name="Tls">The TLS settings; null serves plain HTTP.</param>
/// <param name="BasicAuthUsers">User name to bcrypt hash of the password.</param>
public sealed record WebConfig(TlsServerConfig? Tls, IReadOnlyDictionary<string, string> BasicAuthUsers)
{
    /// <summary>A file with neither section: plain HTTP, no authentication.</summary>
    public static WebConfig Empty { get; } = new(null, new Dictionary<string, string>(StringComparer.Ordinal));
}
