using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace QueueExporter.IntegrationTests.Web;

/// <summary>
/// Certificates made for one test with System.Security.Cryptography, written as PEM files in a folder of
/// their own beside a web config file: a server CA and a server certificate for 127.0.0.1, a client CA and
/// a client certificate it signed, and a stranger's client certificate that chains to nothing.
/// </summary>
public sealed class TestCertificates : IDisposable
{
    private static readonly Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuthentication = new("1.3.6.1.5.5.7.3.2");

    private TestCertificates(string folder)
    {
        Folder = folder;
        ServerCa = Authority("CN=queue-exporter test server CA");
        ClientCa = Authority("CN=queue-exporter test client CA");
        Client = Issue(ClientCa, "CN=prometheus", ClientAuthentication);
        using var stranger = Authority("CN=stranger CA");
        Stranger = Issue(stranger, "CN=stranger", ClientAuthentication);
        File.WriteAllText(ClientCaFile, ClientCa.ExportCertificatePem());
        RenewServer();
    }

    public string Folder { get; }

    public X509Certificate2 ServerCa { get; }

    public X509Certificate2 ClientCa { get; }

    /// <summary>A client certificate signed by <see cref="ClientCa"/>, with its key.</summary>
    public X509Certificate2 Client { get; }

    /// <summary>A client certificate with its key, signed by a CA the server does not know.</summary>
    public X509Certificate2 Stranger { get; }

    /// <summary>The server certificate currently in <see cref="ServerCertFile"/>.</summary>
    public X509Certificate2 Server { get; private set; } = null!;

    public string ServerCertFile => Path.Combine(Folder, "server.crt");

    public string ServerKeyFile => Path.Combine(Folder, "server.key");

    public string ClientCaFile => Path.Combine(Folder, "clients-ca.crt");

    public string WebConfigFile => Path.Combine(Folder, "web.yml");

    public static TestCertificates Create()
    {
        var folder = Path.Combine(Path.GetTempPath(), "qe-web-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(folder);
        return new TestCertificates(folder);
    }

    /// <summary>Issues a new server certificate (a new serial) and writes it and its key over the old files.</summary>
    public X509Certificate2 RenewServer()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([ServerAuthentication], false));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        using var issued = request.Create(ServerCa, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(1), RandomNumberGenerator.GetBytes(12));
        Server = WithKey(issued, key);
        File.WriteAllText(ServerCertFile, issued.ExportCertificatePem());
        File.WriteAllText(ServerKeyFile, key.ExportPkcs8PrivateKeyPem());
        return Server;
    }

    /// <summary>Writes the web config file.</summary>
    public void WriteConfig(string yaml) => File.WriteAllText(WebConfigFile, yaml);

    /// <summary>
    /// An HTTPS client that trusts only <see cref="ServerCa"/> and presents <paramref name="clientCertificate"/>
    /// (none when null); every new client opens new connections, so it sees the server's current settings.
    /// <paramref name="seen"/> receives the server certificate of each handshake.
    /// </summary>
    public HttpClient HttpsClient(Uri baseAddress, X509Certificate2? clientCertificate = null, List<X509Certificate2>? seen = null)
    {
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.Zero,
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    if (certificate is null)
                    {
                        return false;
                    }

                    var server = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
                    seen?.Add(server);
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(ServerCa);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return chain.Build(server);
                },
                LocalCertificateSelectionCallback = (_, _, _, _, _) => clientCertificate!,
                ClientCertificates = clientCertificate is null ? null : [clientCertificate],
            },
        };
        return new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>An Authorization header value for basic auth.</summary>
    public static AuthenticationHeaderValue Basic(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

    public void Dispose()
    {
        foreach (var certificate in new[] { ServerCa, ClientCa, Client, Stranger, Server })
        {
            certificate?.Dispose();
        }

        Directory.Delete(Folder, recursive: true);
    }

    // A self-signed CA certificate with its private key, which Issue signs with.
    private static X509Certificate2 Authority(string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        // Two days, outliving every certificate it issues (one day): an issued one may not outlast its issuer.
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(2));
    }

    private static X509Certificate2 Issue(X509Certificate2 authority, string subject, Oid usage)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([usage], false));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        using var issued = request.Create(authority, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(1), RandomNumberGenerator.GetBytes(12));
        return WithKey(issued, key);
    }

    // Through PKCS#12, so that the certificate owns its key and outlives the key object made here.
    private static X509Certificate2 WithKey(X509Certificate2 certificate, ECDsa key)
    {
        using var paired = certificate.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(paired.Export(X509ContentType.Pkcs12), null);
    }
}
