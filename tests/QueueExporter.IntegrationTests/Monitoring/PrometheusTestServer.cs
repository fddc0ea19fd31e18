using System.Text.Json;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace QueueExporter.IntegrationTests.Monitoring;

/// <summary>
/// The real `prometheus` on loopback, configured from the shipped files: deploy/prometheus/
/// prometheus.yml with its scrape targets pointed at the test's processes, and the shipped rules
/// run 60 times faster: every `for:`, range window and offset in minutes becomes as many seconds,
/// and every threshold in seconds is divided by 60 (through thresholds.rules.yml, as an operator
/// would override it). The logic is the shipped one; a minute of production is a second here.
/// Scrapes and evaluations every second.
/// </summary>
internal sealed partial class PrometheusTestServer : IAsyncDisposable
{
    private const double TimeCompression = 60;

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
    /// <param name="thresholds">threshold record name -> value (already in compressed time), replacing the shipped value.</param>
    public static async Task<PrometheusTestServer> StartAsync(
        IReadOnlyDictionary<string, string> targets,
        string? alertmanager = null,
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
            dir => WriteConfiguration(dir, targets, alertmanager, thresholds ?? new Dictionary<string, double>()));
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
        DirectoryInfo dir, IReadOnlyDictionary<string, string> targets, string? alertmanager,
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
                if (YamlDocuments.Scalar(rule, "for") is { } forDuration)
                {
                    rule.Children[new YamlScalarNode("for")] = new YamlScalarNode(MinutesToSeconds().Replace(forDuration, "${n}s"));
                }

                var expr = MinutesToSeconds().Replace(YamlDocuments.Scalar(rule, "expr") ?? "", "${n}s");
                if (YamlDocuments.Scalar(rule, "record") is { } record)
                {
                    if (thresholds.TryGetValue(record, out var value))
                    {
                        expr = FormattableString.Invariant($"vector({value})");
                    }
                    else if (record.EndsWith("_seconds", StringComparison.Ordinal) && ThresholdValue().Match(expr) is { Success: true } shippedValue)
                    {
                        expr = FormattableString.Invariant($"vector({double.Parse(shippedValue.Groups["value"].Value, System.Globalization.CultureInfo.InvariantCulture) / TimeCompression})");
                    }
                }

                rule.Children[new YamlScalarNode("expr")] = new YamlScalarNode(expr);
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

    // "15m" in a range, an offset or a for: -> "15s". The shipped rules use minutes only.
    [GeneratedRegex(@"(?<n>\b[0-9]+)m\b")]
    private static partial Regex MinutesToSeconds();

    [GeneratedRegex(@"^\s*vector\((?<value>[0-9.]+)\)\s*$")]
    private static partial Regex ThresholdValue();

    private static YamlMappingNode StaticTargets(string target) =>
        new("static_configs", new YamlSequenceNode(new YamlMappingNode("targets", new YamlSequenceNode(new YamlScalarNode(target)))));

    private static void Save(YamlMappingNode root, string path)
    {
        using var writer = new StreamWriter(path);
        new YamlStream(new YamlDocument(root)).Save(writer, assignAnchors: false);
    }
}
