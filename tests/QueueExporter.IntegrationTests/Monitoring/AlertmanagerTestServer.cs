using System.Text.Json;
using YamlDotNet.RepresentationModel;

namespace QueueExporter.IntegrationTests.Monitoring;

/// <summary>
/// The real `prometheus-alertmanager` on loopback with the shipped deploy/alertmanager/
/// alertmanager.yml; only the receivers' webhook URLs are pointed at a closed loopback port, so
/// nothing leaves the machine. Its API tells which receiver each alert was routed to.
/// </summary>
internal sealed class AlertmanagerTestServer : IAsyncDisposable
{
    private readonly TestServerProcess _process;
    private readonly HttpClient _http;

    private AlertmanagerTestServer(TestServerProcess process)
    {
        _process = process;
        _http = new HttpClient { BaseAddress = process.BaseUri, Timeout = TimeSpan.FromSeconds(10) };
    }

    /// <summary>host:port, as Prometheus' alerting configuration wants it.</summary>
    public string HostAndPort => $"{_process.BaseUri.Host}:{_process.BaseUri.Port}";

    public string Output => _process.Output;

    public static async Task<AlertmanagerTestServer> StartAsync()
    {
        var process = await TestServerProcess.StartAsync(
            "prometheus-alertmanager",
            "alertmanager",
            (dir, port) =>
            [
                $"--config.file={Path.Combine(dir.FullName, "alertmanager.yml")}",
                $"--storage.path={Path.Combine(dir.FullName, "data")}",
                $"--web.listen-address=127.0.0.1:{port}",
                "--cluster.listen-address=",
                "--log.level=warn",
            ],
            "-/ready",
            WriteConfiguration);
        return new AlertmanagerTestServer(process);
    }

    /// <summary>Active alerts named <paramref name="alertName"/>, each with the receivers it was routed to.</summary>
    public async Task<IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, IReadOnlyList<string> Receivers)>> AlertsAsync(string alertName)
    {
        var filter = Uri.EscapeDataString($"alertname=\"{alertName}\"");
        using var body = JsonDocument.Parse(await _http.GetStringAsync(new Uri($"api/v2/alerts?filter={filter}", UriKind.Relative)));
        return [.. body.RootElement.EnumerateArray().Select(alert => (
            (IReadOnlyDictionary<string, string>)alert.GetProperty("labels").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "", StringComparer.Ordinal),
            (IReadOnlyList<string>)[.. alert.GetProperty("receivers").EnumerateArray().Select(r => r.GetProperty("name").GetString() ?? "")]))];
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _process.DisposeAsync();
    }

    private static void WriteConfiguration(DirectoryInfo dir)
    {
        var config = YamlDocuments.LoadMapping(RepositoryPaths.AlertmanagerConfig);
        var closedPort = LoopbackPort.Free();
        foreach (var webhook in YamlDocuments.Sequence(config, "receivers").OfType<YamlMappingNode>()
                     .SelectMany(receiver => YamlDocuments.Sequence(receiver, "webhook_configs").OfType<YamlMappingNode>()))
        {
            webhook.Children[new YamlScalarNode("url")] = new YamlScalarNode($"http://127.0.0.1:{closedPort}/alerts");
        }

        using var writer = new StreamWriter(Path.Combine(dir.FullName, "alertmanager.yml"));
        new YamlStream(new YamlDocument(config)).Save(writer, assignAnchors: false);
    }
}
