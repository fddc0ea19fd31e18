using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using QueueExporter.QueueJob.Web;

namespace QueueExporter.Tests.Web;

public sealed class WebConfigFileTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "qe-webconfig-" + Guid.NewGuid().ToString("N")[..12]);

    public WebConfigFileTests() => Directory.CreateDirectory(_folder);

    private string ConfigPath => Path.Combine(_folder, "web.yml");

    [Fact]
    public void A_missing_file_is_one_line_naming_it()
    {
        var error = Assert.Throws<FormatException>(() => WebConfigFile.Load(ConfigPath));

        Assert.StartsWith(ConfigPath + ": ", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void Adding_tls_to_a_plain_listener_is_refused_until_a_restart_and_removing_it_again_recovers()
    {
        WriteCertificate();
        File.WriteAllText(ConfigPath, "basic_auth_users:\n");
        var file = WebConfigFile.Load(ConfigPath);
        Assert.False(file.ServesTls);

        File.WriteAllText(ConfigPath, "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n");
        Assert.Contains("tls_server_config was added; switching between HTTP and HTTPS needs a restart", file.Current().Error, StringComparison.Ordinal);

        File.WriteAllText(ConfigPath, "basic_auth_users:\n");
        Assert.Null(file.Current().Error);
    }

    [Fact]
    public void A_tls_file_loads_the_certificate_and_notices_when_it_is_replaced()
    {
        var first = WriteCertificate();
        File.WriteAllText(ConfigPath, "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n");
        var file = WebConfigFile.Load(ConfigPath);
        Assert.True(file.ServesTls);
        Assert.Equal(first, file.Current().Certificate!.Thumbprint);

        var second = WriteCertificate();

        Assert.NotEqual(first, second);
        Assert.Equal(second, file.Current().Certificate!.Thumbprint);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string WriteCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllText(Path.Combine(_folder, "server.crt"), certificate.ExportCertificatePem());
        File.WriteAllText(Path.Combine(_folder, "server.key"), key.ExportPkcs8PrivateKeyPem());
        return certificate.Thumbprint;
    }
}
