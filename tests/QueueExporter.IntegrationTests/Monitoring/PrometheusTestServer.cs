using System.Text.Json;
using YamlDotNet.RepresentationModel;

namespace QueueExporter.IntegrationTests.Monitoring;

/// <summary>
/// The real `prometheus` on loopback, configured from the shipped files: deploy/prometheus/
/// prometheus.yml with its scrape targets pointed at the test's processes, and the shipped rules
/// with every `for:` shortened and chosen thresholds overridden (through thresholds.rules.yml,
/// as an operator would), so that alerts fire within seconds. Scrapes and evaluations every second.
/// </summary>
internal sealed class PrometheusTestServer : IAsyncDisposable
{
    private readonly TestServerProcess _process;
    private readonly HttpClient _http;

    private PrometheusTestServer(TestServerProcess process)
    {
        _process = process;
        _http = new HttpClient { BaseAddress = process.BaseUri, Timeout = TimeSpan.FromSeconds(10) };
    }

    public Uri BaseUri => _process.BaseUri;

    public string Output => _process.Output;

    /// <param name="targets">scrape job name (as in the shipped prometheus.yml) -> host:port; jobs not named are dropped.</param>
    /// <param name="alertmanager">host:port of an Alertmanager, or null for none.</param>
    /// <param name="alertFor">replaces every alert's `for:`.</param>
    /// <param name="thresholds">threshold record name -> value, replacing the shipped value.</param>
    public static async Task<PrometheusTestServer> StartAsync(
        IReadOnlyDictionary<string, string> targets,
        string? alertmanager = null,
        string alertFor = "2s",
        IReadOnlyDictionary<string, double>? thresholds = null)
    {
        var process = await TestServerProcess.StartAsync(
            "prometheus",
            "prometheus",
            (dir, port) =>
            [
                $"--config.file={Path.Combine(dir.FullName, "prometheus.yml")}",
                $"--storage.tsdb.path={Path.Combine(dir.FullName, "data")}",
                $"--web.listen-address=127.0.0.1:{port}",
                "--log.level=warn",
            ],
            "-/ready",
            dir => WriteConfiguration(dir, targets, alertmanager, alertFor, thresholds ?? new Dictionary<string, double>()));
        return new PrometheusTestServer(process);
    }

    /// <summary>An instant query through the HTTP API, as Grafana and the rule engine would run it.</summary>
    public async Task<PrometheusQueryResult> QueryAsync(string expression)
    {
        using var response = await _http.GetAsync(new Uri($"api/v1/query?query={Uri.EscapeDataString(expression)}", UriKind.Relative));
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = body.RootElement;
        if (root.GetProperty("status").GetString() != "success")
        {
            return new PrometheusQueryResult(false, root.TryGetProperty("error", out var error) ? error.GetString() : "unknown error", 0, null);
        }

        var data = root.GetProperty("data");
        var result = data.GetProperty("result");
        return data.GetProperty("resultType").GetString() switch
        {
            "vector" or "matrix" => new PrometheusQueryResult(true, null, result.GetArrayLength(),
                result.GetArrayLength() > 0 && result[0].TryGetProperty("value", out var v) ? double.Parse(v[1].GetString()!, System.Globalization.CultureInfo.InvariantCulture) : null),
            _ => new PrometheusQueryResult(true, null, 1, double.Parse(result[1].GetString()!, System.Globalization.CultureInfo.InvariantCulture)),
        };
    }

    /// <summary>Names and labels of the alerts in the given state ("firing" or "pending").</summary>
    public async Task<IReadOnlyList<IReadOnlyDictionary<string, string>>> AlertsAsync(string state)
    {
        using var body = JsonDocument.Parse(await _http.GetStringAsync(new Uri("api/v1/alerts", UriKind.Relative)));
        return [.. body.RootElement.GetProperty("data").GetProperty("alerts").EnumerateArray()
            .Where(alert => alert.GetProperty("state").GetString() == state)
            .Select(alert => (IReadOnlyDictionary<string, string>)alert.GetProperty("labels").EnumerateObject()
                .ToDictionary(p => p.Name, p => p.Value.GetString() ?? "", StringComparer.Ordinal))];
    }

    /// <summary>Health of each scrape target, by job: "up", "down" or "unknown".</summary>
    public async Task<IReadOnlyDictionary<string, string>> TargetHealthAsync()
    {
        using var body = JsonDocument.Parse(await _http.GetStringAsync(new Uri("api/v1/targets", UriKind.Relative)));
        return body.RootElement.GetProperty("data").GetProperty("activeTargets").EnumerateArray()
            .ToDictionary(t => t.GetProperty("labels").GetProperty("job").GetString()!, t => t.GetProperty("health").GetString()!, StringComparer.Ordinal);
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _process.DisposeAsync();
    }

    private static void WriteConfiguration(
        DirectoryInfo dir, IReadOnlyDictionary<string, string> targets, string? alertmanager, string alertFor,
        IReadOnlyDictionary<string, double> thresholds)
    {
        var ruleFiles = new YamlSequenceNode();
        foreach (var shipped in RepositoryPaths.RuleFiles)
        {
            var copy = Path.Combine(dir.FullName, Path.GetFileName(shipped));
            var rules = YamlDocuments.LoadMapping(shipped);
            foreach (var rule in YamlDocuments.Sequence(rules, "groups").OfType<YamlMappingNode>()
                         .SelectMany(group => YamlDocuments.Sequence(group, "rules").OfType<YamlMappingNode>()))
            {
                if (YamlDocuments.Scalar(rule, "alert") is not null)
                {
                    rule.Children[new YamlScalarNode("for")] = new YamlScalarNode(alertFor);
                }

                if (YamlDocuments.Scalar(rule, "record") is { } record && thresholds.TryGetValue(record, out var value))
                {
                    rule.Children[new YamlScalarNode("expr")] = new YamlScalarNode(FormattableString.Invariant($"vector({value})"));
                }
            }

            Save(rules, copy);
            ruleFiles.Add(new YamlScalarNode(copy));
        }

        var config = YamlDocuments.LoadMapping(RepositoryPaths.PrometheusConfig);
        var global = YamlDocuments.Mapping(config, "global")!;
        global.Children[new YamlScalarNode("scrape_interval")] = new YamlScalarNode("1s");
        global.Children[new YamlScalarNode("evaluation_interval")] = new YamlScalarNode("1s");
        config.Children[new YamlScalarNode("rule_files")] = ruleFiles;

        if (alertmanager is null)
        {
            config.Children.Remove(new YamlScalarNode("alerting"));
        }
        else
        {
            config.Children[new YamlScalarNode("alerting")] = new YamlMappingNode(
                "alertmanagers", new YamlSequenceNode(StaticTargets(alertmanager)));
        }

        var jobs = new YamlSequenceNode();
        foreach (var job in YamlDocuments.Sequence(config, "scrape_configs").OfType<YamlMappingNode>())
        {
            if (targets.TryGetValue(YamlDocuments.Scalar(job, "job_name") ?? "", out var target))
            {
                job.Children[new YamlScalarNode("static_configs")] = StaticTargets(target).Children[new YamlScalarNode("static_configs")];
                jobs.Add(job);
            }
        }

        config.Children[new YamlScalarNode("scrape_configs")] = jobs;
        Save(config, Path.Combine(dir.FullName, "prometheus.yml"));
    }

    private static YamlMappingNode StaticTargets(string target) =>
        new("static_configs", new YamlSequenceNode(new YamlMappingNode("targets", new YamlSequenceNode(new YamlScalarNode(target)))));

    private static void Save(YamlMappingNode root, string path)
    {
        using var writer = new StreamWriter(path);
        new YamlStream(new YamlDocument(root)).Save(writer, assignAnchors: false);
    }
}
