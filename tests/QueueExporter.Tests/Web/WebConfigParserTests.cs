using System.Security.Authentication;
using QueueExporter.QueueJob.Web;

namespace QueueExporter.Tests.Web;

public class WebConfigParserTests
{
    private const string Hash = "$2y$04$Vx8Rr9fv0Z0QeXlDkSW2VuS1VqFOK2D/4Px4l2gy0b0JAvJkEHKpG";

    [Fact]
    public void A_full_file_is_read_with_paths_relative_to_its_folder()
    {
        var config = WebConfigParser.Parse(
            $"""
            tls_server_config:
              cert_file: server.crt
              key_file: /abs/server.key
              client_auth_type: RequireAndVerifyClientCert
              client_ca_file: ca/clients.crt
              min_version: TLS13
            basic_auth_users:
              prometheus: {Hash}
            """,
            "/etc/queue-exporter");

        var tls = Assert.IsType<TlsServerConfig>(config.Tls);
        Assert.Equal("/etc/queue-exporter/server.crt", tls.CertFile);
        Assert.Equal("/abs/server.key", tls.KeyFile);
        Assert.Equal("/etc/queue-exporter/ca/clients.crt", tls.ClientCaFile);
        Assert.Equal(ClientAuthType.RequireAndVerifyClientCert, tls.ClientAuth);
        Assert.True(tls.RequiresClientCertificate);
        Assert.True(tls.VerifiesClients);
        Assert.Equal(SslProtocols.Tls13, tls.Protocols);
        Assert.Equal(Hash, config.BasicAuthUsers["prometheus"]);
    }

    [Fact]
    public void Tls_1_2_is_the_default_lowest_version()
    {
        var config = WebConfigParser.Parse("tls_server_config:\n  cert_file: a\n  key_file: b\n", "/");

        Assert.Equal(SslProtocols.Tls12 | SslProtocols.Tls13, config.Tls!.Protocols);
        Assert.Equal(ClientAuthType.NoClientCert, config.Tls.ClientAuth);
    }

    [Theory]
    [InlineData("")]
    [InlineData("# only a comment\n")]
    [InlineData("tls_server_config:\nbasic_auth_users:\n")]
    [InlineData("tls_server_config:\n  cert_file: ''\n  key_file: ''\n")]
    public void An_empty_file_or_section_serves_plain_http_without_auth(string yaml)
    {
        var config = WebConfigParser.Parse(yaml, "/");

        Assert.Null(config.Tls);
        Assert.Empty(config.BasicAuthUsers);
    }

    [Theory]
    [InlineData("tls_server_config:\n  cert_file: a\n", "missing key_file")]
    [InlineData("tls_server_config:\n  key_file: a\n", "missing cert_file")]
    [InlineData("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: RequireClientCert\n", "'RequireClientCert' is not one of")]
    [InlineData("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: c\n", "client_ca_file is set but client_auth_type is NoClientCert")]
    [InlineData("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: RequireAndVerifyClientCert\n", "needs client_ca_file")]
    [InlineData("tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS10\n", "TLS10 is not offered")]
    [InlineData("tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS13\n  max_version: TLS12\n", "above max_version")]
    [InlineData("tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: [x]\n", "tls_server_config.cipher_suites is not supported")]
    [InlineData("tls_server_confg:\n  cert_file: a\n", "unknown setting 'tls_server_confg'")]
    [InlineData("http_server_config:\n  http2: false\n", "http_server_config is not supported")]
    [InlineData("basic_auth_users: [a, b]\n", "basic_auth_users must be a mapping")]
    [InlineData("basic_auth_users:\n  'a:b': x\n", "contains ':'")]
    [InlineData("tls_server_config: [\n", "not valid YAML at line")]
    [InlineData("- a\n- b\n", "the file must be a mapping")]
    public void A_bad_setting_is_one_line_that_names_it(string yaml, string expected)
    {
        var error = Assert.Throws<FormatException>(() => WebConfigParser.Parse(yaml, "/"));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void A_password_written_instead_of_its_hash_is_refused_without_being_repeated()
    {
        var error = Assert.Throws<FormatException>(() => WebConfigParser.Parse("basic_auth_users:\n  prometheus: hunter2-secret\n", "/"));

        Assert.Contains("basic_auth_users.prometheus: not a bcrypt hash", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2-secret", error.Message, StringComparison.Ordinal);
    }
}
