using System.Security.Authentication;

namespace QueueExporter.QueueJob.Web;

/// <summary>The <c>tls_server_config</c> section of a web config file; paths are absolute (resolved against the file's folder).</summary>
/// <param name="CertFile">PEM certificate (chain) the server presents.</param>
/// <param name="KeyFile">PEM private key of <paramref name="CertFile"/>.</param>
/// <param name="ClientAuth">Whether and how client certificates are asked for and verified.</param>
/// <param name="ClientCaFile">PEM certificates client certificates must chain to; null when none.</param>
/// <param name="Protocols">The TLS versions accepted (from <c>min_version</c>/<c>max_version</c>).</param>
public sealed record TlsServerConfig(string CertFile, string KeyFile, ClientAuthType ClientAuth, string? ClientCaFile, SslProtocols Protocols)
{
    /// <summary>Whether a presented client certificate is checked against <see cref="ClientCaFile"/>.</summary>
    public bool VerifiesClients => ClientAuth is ClientAuthType.VerifyClientCertIfGiven or ClientAuthType.RequireAndVerifyClientCert;

    /// <summary>Whether a connection without a client certificate is refused.</summary>
    public bool RequiresClientCertificate => ClientAuth is ClientAuthType.RequireAnyClientCert or ClientAuthType.RequireAndVerifyClientCert;
}
