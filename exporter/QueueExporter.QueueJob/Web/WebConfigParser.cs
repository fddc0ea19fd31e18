using System.Security.Authentication;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace QueueExporter.QueueJob.Web;

/// <summary>
/// Reads the text of a web config file in the Prometheus exporter-toolkit's format, the one node_exporter
/// and postgres_exporter take with <c>--web.config.file</c>:
/// <code>
/// tls_server_config:
///   cert_file: server.crt          # relative paths are relative to the config file's folder
///   key_file: server.key
///   client_auth_type: RequireAndVerifyClientCert
///   client_ca_file: clients-ca.crt
///   min_version: TLS12
/// basic_auth_users:
///   prometheus: $2y$10$...         # bcrypt hash (htpasswd -nBC 10 prometheus)
/// </code>
/// Pure: no I/O. Anything it does not understand is refused by name rather than ignored, so a typo
/// never silently leaves a listener open; every error is one line (a <see cref="FormatException"/>).
/// </summary>
public static partial class WebConfigParser
{
    private static readonly string[] TlsKeys = ["cert_file", "key_file", "client_auth_type", "client_ca_file", "min_version", "max_version"];

    /// <summary>Parses <paramref name="yaml"/>; relative file names are resolved against <paramref name="baseDirectory"/>.</summary>
    /// <exception cref="FormatException">One line naming the setting at fault.</exception>
    public static WebConfig Parse(string yaml, string baseDirectory)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        ArgumentNullException.ThrowIfNull(baseDirectory);
        var root = Load(yaml);
        if (root is null)
        {
            return WebConfig.Empty;
        }

        TlsServerConfig? tls = null;
        var users = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in Entries(root, "the file"))
        {
            switch (key)
            {
                case "tls_server_config":
                    tls = ParseTls(value, baseDirectory);
                    break;
                case "basic_auth_users":
                    users = ParseUsers(value);
                    break;
                case "http_server_config":
                    throw new FormatException("http_server_config is not supported by queue-exporter (HTTP/2 and custom headers are not offered)");
                default:
                    throw new FormatException($"unknown setting '{key}' (expected tls_server_config or basic_auth_users)");
            }
        }

        return new WebConfig(tls, users);
    }

    private static YamlNode? Load(string yaml)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException ex)
        {
            throw new FormatException($"not valid YAML at line {ex.Start.Line}: {FirstLine(ex.InnerException?.Message ?? ex.Message)}", ex);
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
        {
            return null;
        }

        return stream.Documents.Count > 1
            ? throw new FormatException("holds more than one YAML document")
            : stream.Documents[0].RootNode;
    }

    private static TlsServerConfig? ParseTls(YamlNode node, string baseDirectory)
    {
        if (IsNull(node))
        {
            return null;
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in Entries(node, "tls_server_config"))
        {
            if (!TlsKeys.Contains(key))
            {
                throw new FormatException($"tls_server_config.{key} is not supported (supported: {string.Join(", ", TlsKeys)})");
            }

            values[key] = Scalar(value, $"tls_server_config.{key}");
        }

        var cert = values.GetValueOrDefault("cert_file", string.Empty);
        var keyFile = values.GetValueOrDefault("key_file", string.Empty);
        if (values.Values.All(v => v.Length == 0))
        {
            // As the toolkit does: an empty section means plain HTTP.
            return null;
        }

        if (cert.Length == 0)
        {
            throw new FormatException("tls_server_config: missing cert_file");
        }

        if (keyFile.Length == 0)
        {
            throw new FormatException("tls_server_config: missing key_file");
        }

        var authText = values.GetValueOrDefault("client_auth_type", string.Empty);
        var auth = ClientAuthType.NoClientCert;
        if (authText.Length > 0 && !Enum.TryParse(authText, ignoreCase: false, out auth))
        {
            throw new FormatException($"tls_server_config.client_auth_type: '{authText}' is not one of {string.Join(", ", Enum.GetNames<ClientAuthType>())}");
        }

        var ca = values.GetValueOrDefault("client_ca_file", string.Empty);
        if (ca.Length > 0 && auth == ClientAuthType.NoClientCert)
        {
            throw new FormatException("tls_server_config: client_ca_file is set but client_auth_type is NoClientCert (set client_auth_type, e.g. RequireAndVerifyClientCert)");
        }

        var config = new TlsServerConfig(
            Path.GetFullPath(cert, baseDirectory),
            Path.GetFullPath(keyFile, baseDirectory),
            auth,
            ca.Length > 0 ? Path.GetFullPath(ca, baseDirectory) : null,
            Protocols(values.GetValueOrDefault("min_version", "TLS12"), values.GetValueOrDefault("max_version", "TLS13")));
        return config.VerifiesClients && config.ClientCaFile is null
            ? throw new FormatException($"tls_server_config: client_auth_type {auth} needs client_ca_file")
            : config;
    }

    private static SslProtocols Protocols(string min, string max)
    {
        var low = Version(min, "min_version");
        var high = Version(max, "max_version");
        if (low > high)
        {
            throw new FormatException($"tls_server_config: min_version {min} is above max_version {max}");
        }

        var protocols = SslProtocols.None;
        if (low <= 12 && high >= 12)
        {
            protocols |= SslProtocols.Tls12;
        }

        if (high >= 13)
        {
            protocols |= SslProtocols.Tls13;
        }

        return protocols;
    }

    private static int Version(string text, string name) => text switch
    {
        "" or "TLS12" => 12,
        "TLS13" => 13,
        // The runtime refuses TLS 1.0/1.1 (and so should an exporter): a config asking for them is an error, not a silent upgrade.
        "TLS10" or "TLS11" => throw new FormatException($"tls_server_config.{name}: {text} is not offered (TLS12 is the lowest version served)"),
        _ => throw new FormatException($"tls_server_config.{name}: '{text}' is not one of TLS12, TLS13"),
    };

    private static Dictionary<string, string> ParseUsers(YamlNode node)
    {
        var users = new Dictionary<string, string>(StringComparer.Ordinal);
        if (IsNull(node))
        {
            return users;
        }

        foreach (var (user, value) in Entries(node, "basic_auth_users"))
        {
            var hash = Scalar(value, $"basic_auth_users.{user}");
            if (user.Contains(':', StringComparison.Ordinal))
            {
                throw new FormatException($"basic_auth_users: user name '{user}' contains ':', which basic auth cannot carry");
            }

            if (!BcryptHash().IsMatch(hash))
            {
                // Never echo the value: a plain-text password put here by mistake must not reach a log.
                throw new FormatException($"basic_auth_users.{user}: not a bcrypt hash ($2a$, $2b$ or $2y$, cost 04-31, 60 characters; make one with htpasswd -nBC 10 {user})");
            }

            users[user] = hash;
        }

        return users;
    }

    private static IEnumerable<(string Key, YamlNode Value)> Entries(YamlNode node, string where)
    {
        if (node is not YamlMappingNode mapping)
        {
            throw new FormatException($"{where} must be a mapping of settings");
        }

        foreach (var (key, value) in mapping.Children)
        {
            yield return (key is YamlScalarNode { Value: { } name } ? name : throw new FormatException($"{where}: a key is not a plain name"), value);
        }
    }

    private static string Scalar(YamlNode node, string name) => node switch
    {
        YamlScalarNode scalar => scalar.Value ?? string.Empty,
        _ => throw new FormatException($"{name} must be a single value"),
    };

    private static bool IsNull(YamlNode node) => node is YamlScalarNode { Value: null or "" or "~" or "null" };

    private static string FirstLine(string text) => text.Split('\n')[0].Trim();

    [GeneratedRegex(@"^\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}$")]
    private static partial Regex BcryptHash();
}
