using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace QueueExporter.QueueJob.Web;

/// <summary>
/// A web config with its files read: the server certificate (with any chain in the same file) and the
/// client CAs. When the file was changed into something unusable, <see cref="Error"/> says why and the
/// listener refuses service (fails closed) until it is fixed: an edit must never open a protected listener.
/// </summary>
public sealed class LoadedWebConfig
{
    internal LoadedWebConfig(WebConfig config, X509Certificate2? certificate, X509Certificate2Collection chain, X509Certificate2Collection clientCas)
    {
        Config = config;
        Certificate = certificate;
        Chain = chain;
        ClientCas = clientCas;

        // Built once per reading, not per handshake: it holds the chain sent to every client.
        CertificateContext = certificate is null ? null : SslStreamCertificateContext.Create(certificate, chain, offline: true);
    }

    private LoadedWebConfig(string error)
    {
        Config = WebConfig.Empty;
        Chain = [];
        ClientCas = [];
        Error = error;
    }

    /// <summary>The settings.</summary>
    public WebConfig Config { get; }

    /// <summary>The server certificate with its private key; null without TLS.</summary>
    public X509Certificate2? Certificate { get; }

    /// <summary>Further certificates of the cert file (intermediates), sent with the server certificate.</summary>
    public X509Certificate2Collection Chain { get; }

    /// <summary>The server certificate with its chain, as TLS handshakes present it; null without TLS.</summary>
    public SslStreamCertificateContext? CertificateContext { get; }

    /// <summary>The certificates client certificates must chain to.</summary>
    public X509Certificate2Collection ClientCas { get; }

    /// <summary>Why the current file cannot be used (one line); null when it can.</summary>
    public string? Error { get; }

    internal static LoadedWebConfig Failed(string error) => new(error);
}
