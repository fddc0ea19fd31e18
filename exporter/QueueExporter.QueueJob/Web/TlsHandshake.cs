using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace QueueExporter.QueueJob.Web;

/// <summary>
/// The TLS settings of one incoming connection, built from the web config in force at that moment (so a
/// renewed certificate or a new client CA applies to the next connection). Client certificates are judged
/// as Go's crypto/tls does for the toolkit's <c>client_auth_type</c>: asked for, required, and chained to
/// <c>client_ca_file</c> with the client-authentication usage, as that setting says.
/// </summary>
public static class TlsHandshake
{
    private static readonly Oid ClientAuthentication = new("1.3.6.1.5.5.7.3.2");

    /// <summary>The server options for a connection; throws (refusing the handshake) while the web config is unusable.</summary>
    public static SslServerAuthenticationOptions ServerOptions(WebConfigFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var loaded = file.Current();
        if (loaded.Error is not null || loaded.Config.Tls is not { } tls || loaded.CertificateContext is null)
        {
            throw new System.Security.Authentication.AuthenticationException("the web config is unusable; see the log");
        }

        return new SslServerAuthenticationOptions
        {
            ServerCertificateContext = loaded.CertificateContext,
            EnabledSslProtocols = tls.Protocols,
            ClientCertificateRequired = tls.ClientAuth != ClientAuthType.NoClientCert,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            ApplicationProtocols = [SslApplicationProtocol.Http11],
            RemoteCertificateValidationCallback = (_, certificate, chain, _) => AcceptClient(tls, loaded.ClientCas, certificate, chain, file.Logger),
        };
    }

    /// <summary>Whether a client presenting <paramref name="certificate"/> (null: none) may connect.</summary>
    public static bool AcceptClient(TlsServerConfig tls, X509Certificate2Collection clientCas, X509Certificate? certificate, X509Chain? presentedChain, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(tls);
        ArgumentNullException.ThrowIfNull(clientCas);
        if (certificate is null)
        {
            if (tls.RequiresClientCertificate)
            {
                WebLog.HandshakeRefused(logger, "no client certificate");
                return false;
            }

            return true;
        }

        if (!tls.VerifiesClients)
        {
            return true;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(clientCas);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(ClientAuthentication);
        if (presentedChain is not null)
        {
            foreach (var element in presentedChain.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        X509Certificate2? copy = null;
        bool ok;
        try
        {
            var leaf = certificate as X509Certificate2 ?? (copy = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
            ok = chain.Build(leaf);
        }
        finally
        {
            copy?.Dispose();
        }

        if (!ok)
        {
            WebLog.HandshakeRefused(logger, "client certificate does not chain to client_ca_file: " + string.Join(", ", chain.ChainStatus.Select(s => s.Status)));
        }

        return ok;
    }
}
