using System.Text.Json;
using YamlDotNet.RepresentationModel;

namespace QueueExporter.IntegrationTests.Monitoring;

/// <summary>
/// One configuration (dashboards/src/config.ts) drives the dashboards and the rules. The committed
/// files are what it generates; a team's own configuration changes what it names and nothing else.
/// </summary>
public sealed class MixinGenerationTests
{
    private static readonly JsonSerializerOptions RelaxedJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private const string CustomRunbook = "https://git.example.com/ops/queue/blob/main/runbook.md";

    private static readonly Dictionary<string, (string Default, string Custom)> CustomSelectors = new(StringComparer.Ordinal)
    {
        ["runner"] = ("job=\"queue-exporter-runner\"", "job=\"queue-runner\", namespace=\"erp\""),
        ["worker"] = ("job=\"queue-exporter-worker\"", "job=\"queue-worker\", namespace=\"erp\""),
        ["scraper"] = ("job=\"queue-exporter-scraper\"", "job=\"queue-scraper\", namespace=\"erp\""),
    };

    [Fact]
    public async Task Generated_dashboards_and_rules_are_up_to_date_with_their_sources()
    {
        var outDir = Directory.CreateTempSubdirectory("queue-exporter-mixin-");
        try
        {
            var build = await MixinGenerator.GenerateAsync(outDir.FullName);
            Assert.True(build.ExitCode == 0, build.Output);

            var fresh = MixinGenerator.RelativeFiles(outDir.FullName);
            var committed = MixinGenerator.CommittedOutputs.Select(f => Path.GetRelativePath(RepositoryPaths.Root, f)).Order(StringComparer.Ordinal).ToList();
            Assert.Contains(Path.Combine("alerts", "queue-exporter.rules.yml"), fresh);
            Assert.Contains(Path.Combine("alerts", "kubernetes", "queue-exporter.prometheusrule.yaml"), fresh);
            Assert.Equal(fresh, committed);
            foreach (var file in fresh)
            {
                var current = await File.ReadAllTextAsync(Path.Combine(outDir.FullName, file));
                var stale = await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, file));
                Assert.True(stale == current, $"{file} is stale: run `npm run build` in dashboards/ and commit the result");
            }
        }
        finally
        {
            outDir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_custom_configuration_changes_selectors_runbook_links_and_one_channels_threshold_and_nothing_else()
    {
        var outDir = Directory.CreateTempSubdirectory("queue-exporter-mixin-custom-");
        try
        {
            var configFile = Path.Combine(outDir.FullName, "team.json");
            await File.WriteAllTextAsync(configFile, JsonSerializer.Serialize(new
            {
                selectors = CustomSelectors.ToDictionary(s => s.Key, s => s.Value.Custom),
                runbookBaseUrl = CustomRunbook,
                thresholds = new { pending_age_seconds = new { overrides = new[] { new { channel = "root.reports", value = 300 } } } },
            }));
            var generated = Path.Combine(outDir.FullName, "out");
            var build = await MixinGenerator.GenerateAsync(generated, configFile);
            Assert.True(build.ExitCode == 0, build.Output);

            var differences = RuleDifferences(Path.Combine(generated, "alerts"));
            Assert.Equal(
            [
                "queue-exporter.rules.yml: QueueJobQueueStuck (queue-exporter) expr",
                "thresholds.rules.yml: + queue_job:alert_threshold:pending_age_seconds {channel=root.reports} vector(300)",
            ], differences);

            foreach (var dashboard in Directory.GetFiles(Path.Combine(generated, "dashboards", "generated")))
            {
                var custom = await File.ReadAllTextAsync(dashboard);
                Assert.Contains(CustomRunbook, custom, StringComparison.Ordinal);
                Assert.DoesNotContain("queue-exporter-scraper", custom, StringComparison.Ordinal);
                var shipped = await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.GeneratedDashboards, Path.GetFileName(dashboard)));
                Assert.True(shipped == BackToDefaults(custom, json: true), $"{Path.GetFileName(dashboard)} differs beyond selectors and runbook links");
            }

            await AssertOverrideFiresEarlierForItsChannelOnlyAsync(Path.Combine(generated, "alerts"));
        }
        finally
        {
            outDir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task The_most_specific_override_wins_database_and_channel_then_channel_then_database_then_the_default()
    {
        var outDir = Directory.CreateTempSubdirectory("queue-exporter-mixin-levels-");
        try
        {
            var configFile = Path.Combine(outDir.FullName, "levels.json");
            await File.WriteAllTextAsync(configFile, """
                {"thresholds": {"pending_age_seconds": {"value": 900, "overrides": [
                  {"database": "shop", "channel": "root.mail", "value": 300},
                  {"channel": "root.mail", "value": 600},
                  {"channel": "root.edi", "value": 480},
                  {"database": "shop", "value": 1200}]}}}
                """);
            var alerts = Path.Combine(outDir.FullName, "out", "alerts");
            var build = await MixinGenerator.GenerateAsync(Path.Combine(outDir.FullName, "out"), configFile);
            Assert.True(build.ExitCode == 0, build.Output);

            // Five channels age alike and complete nothing: each is stuck 6 minutes after its own
            // threshold (over it one step later, then for: 5m). shop/root.edi has a channel and a
            // database override: the channel's wins.
            (string Database, string Channel, int StuckAtMinute)[] places =
                [("shop", "root.mail", 11), ("shop", "root.edi", 14), ("crm", "root.mail", 16), ("shop", "root", 26), ("crm", "root", 21)];
            var series = string.Join('\n', places.Select(p =>
                $"      - series: 'queue_job_oldest_age_seconds{{database=\"{p.Database}\",channel=\"{p.Channel}\",state=\"pending\",job=\"queue-exporter-scraper\"}}'\n        values: '0+60x40'"));
            var checks = string.Join('\n', places.Select(p => p.StuckAtMinute).SelectMany(m => new[] { m - 1, m }).Distinct().Order().Select(minute =>
            {
                var firing = places.Where(p => p.StuckAtMinute <= minute).OrderBy(p => p.Channel, StringComparer.Ordinal).ThenBy(p => p.Database, StringComparer.Ordinal).ToList();
                var expected = firing.Count == 0 ? " []" : "\n" + string.Join('\n', firing.Select(p => $$"""
                          - exp_labels: {severity: critical, cause: oldest_pending_age, database: {{p.Database}}, channel: {{p.Channel}}}
                            exp_annotations:
                              summary: "Channel {{p.Channel}} in {{p.Database}} is stuck"
                              description: "The oldest runnable pending job in channel {{p.Channel}} of {{p.Database}} has waited {{minute}}m 0s and the channel completed no job (done, failed or cancelled) in the last 15 minutes."
                              runbook_url: "alerts/runbook.md#queuejobqueuestuck"
                """));
                return $"      - eval_time: {minute}m\n        alertname: QueueJobQueueStuck\n        exp_alerts:{expected}";
            }));
            var test = $"rule_files: [thresholds.rules.yml, queue-exporter.rules.yml]\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n{series}\n    alert_rule_test:\n{checks}\n";
            await File.WriteAllTextAsync(Path.Combine(alerts, "levels.test.yml"), test);

            var result = await ExternalTool.RunAsync("promtool", ["test", "rules", "levels.test.yml"], alerts);

            Assert.True(result.ExitCode == 0, $"{result.Output}\n{test}");
        }
        finally
        {
            outDir.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("""{"thresholds": {"dispatch_latency_p95_seconds": {"overrides": [{"database": "odoo", "value": 10}]}}}""", "dispatch_latency_p95_seconds cannot differ by database")]
    [InlineData("""{"selectors": {"scraper": "queue-exporter-scraper"}}""", "config.selectors.scraper")]
    [InlineData("""{"severity": {}}""", "config.severity: no such setting")]
    public async Task A_configuration_that_cannot_work_stops_the_build_with_one_line_and_exit_code_2(string config, string message)
    {
        var outDir = Directory.CreateTempSubdirectory("queue-exporter-mixin-bad-");
        try
        {
            var configFile = Path.Combine(outDir.FullName, "bad.json");
            await File.WriteAllTextAsync(configFile, config);

            var build = await MixinGenerator.GenerateAsync(Path.Combine(outDir.FullName, "out"), configFile);

            Assert.Equal(2, build.ExitCode);
            var line = Assert.Single(build.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains(message, line, StringComparison.Ordinal);
            Assert.False(Directory.Exists(Path.Combine(outDir.FullName, "out")), "nothing is written");
        }
        finally
        {
            outDir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task The_PrometheusRule_holds_exactly_the_groups_of_the_rule_files_and_promtool_accepts_them()
    {
        var resource = YamlDocuments.LoadMapping(Path.Combine(RepositoryPaths.Alerts, "kubernetes", "queue-exporter.prometheusrule.yaml"));
        Assert.Equal("PrometheusRule", YamlDocuments.Scalar(resource, "kind"));
        var spec = YamlDocuments.Mapping(resource, "spec")!;
        var dir = Directory.CreateTempSubdirectory("queue-exporter-prometheusrule-");
        try
        {
            var file = Path.Combine(dir.FullName, "spec.rules.yml");
            using (var writer = new StreamWriter(file))
            {
                new YamlStream(new YamlDocument(spec)).Save(writer, assignAnchors: false);
            }

            var check = await ExternalTool.RunAsync("promtool", ["check", "rules", file]);
            Assert.True(check.ExitCode == 0, check.Output);

            var inResource = PrometheusRuleFiles.Load(file).Select(Describe).ToList();
            var inFiles = RepositoryPaths.RuleFiles.SelectMany(PrometheusRuleFiles.Load).Select(Describe).ToList();
            Assert.Equal(inFiles.Order(StringComparer.Ordinal), inResource.Order(StringComparer.Ordinal));
        }
        finally
        {
            dir.Delete(recursive: true);
        }

        static string Describe(PrometheusRule r) =>
            $"{r.Group}/{r.Alert ?? r.Record}/{r.Expr}/{r.For}/{Pairs(r.Labels)}/{Pairs(r.Annotations)}";

        static string Pairs(IReadOnlyDictionary<string, string> map) =>
            string.Join(',', map.Select(p => $"{p.Key}={p.Value}").Order(StringComparer.Ordinal));
    }

    /// <summary>
    /// Rule by rule against the shipped files, after mapping the custom selectors and runbook base
    /// back to the defaults: what still differs, one line per rule and field.
    /// </summary>
    private static List<string> RuleDifferences(string customAlerts)
    {
        var differences = new List<string>();
        foreach (var shippedFile in RepositoryPaths.RuleFiles)
        {
            var shipped = PrometheusRuleFiles.Load(shippedFile);
            var custom = PrometheusRuleFiles.Load(Path.Combine(customAlerts, Path.GetFileName(shippedFile))).ToList();
            foreach (var extra in custom.Where(c => c.Labels.Count > 0 && c.Record is not null))
            {
                differences.Add($"{Path.GetFileName(shippedFile)}: + {extra.Record} {{{string.Join(',', extra.Labels.Select(l => $"{l.Key}={l.Value}"))}}} {extra.Expr}");
            }

            custom.RemoveAll(c => c.Labels.Count > 0 && c.Record is not null);
            Assert.Equal(shipped.Count, custom.Count);
            foreach (var (mine, theirs) in shipped.Zip(custom))
            {
                var where = $"{Path.GetFileName(shippedFile)}: {mine.Alert ?? mine.Record} ({mine.Group})";
                Assert.Equal(mine.Alert ?? mine.Record, theirs.Alert ?? theirs.Record);
                if (mine.Expr != BackToDefaults(theirs.Expr, json: false))
                {
                    differences.Add($"{where} expr");
                }

                if (mine.For != theirs.For || !mine.Labels.OrderBy(l => l.Key).SequenceEqual(theirs.Labels.OrderBy(l => l.Key)))
                {
                    differences.Add($"{where} for or labels");
                }

                foreach (var (key, value) in mine.Annotations)
                {
                    var expected = key == "runbook_url" ? value.Replace("alerts/runbook.md", CustomRunbook, StringComparison.Ordinal) : value;
                    if (theirs.Annotations.GetValueOrDefault(key) != expected)
                    {
                        differences.Add($"{where} annotation {key}");
                    }
                }
            }
        }

        return [.. differences.Order(StringComparer.Ordinal)];
    }

    private static string BackToDefaults(string text, bool json)
    {
        foreach (var (defaultSelector, customSelector) in CustomSelectors.Values)
        {
            text = text.Replace(Escape(customSelector), Escape(defaultSelector), StringComparison.Ordinal);
        }

        return text.Replace(CustomRunbook, "alerts/runbook.md", StringComparison.Ordinal);

        // As JSON.stringify writes it: quotes escaped as \", not \u0022.
        string Escape(string value) => json ? JsonSerializer.Serialize(value, RelaxedJson)[1..^1] : value;
    }

    /// <summary>
    /// The override in action (real promtool on the custom files): two channels age alike, nothing
    /// completes; root.reports (300 s) is stuck from 11m, root.mail (the default 900 s) from 21m. A
    /// series of the default scrape job is not selected by the custom selectors: never stuck.
    /// </summary>
    private static async Task AssertOverrideFiresEarlierForItsChannelOnlyAsync(string customAlerts)
    {
        static string Age(string channel, string selector) =>
            $"      - series: 'queue_job_oldest_age_seconds{{database=\"odoo\",channel=\"{channel}\",state=\"pending\",{selector.Replace(" ", "", StringComparison.Ordinal)}}}'\n        values: '0+60x30'";
        static string Stuck(string channel, string age) => $$"""
                      - exp_labels: {severity: critical, cause: oldest_pending_age, database: odoo, channel: {{channel}}}
                        exp_annotations:
                          summary: "Channel {{channel}} in odoo is stuck"
                          description: "The oldest runnable pending job in channel {{channel}} of odoo has waited {{age}} and the channel completed no job (done, failed or cancelled) in the last 15 minutes."
                          runbook_url: "{{CustomRunbook}}#queuejobqueuestuck"
            """;
        var scraper = CustomSelectors["scraper"];
        var test = $"""
            rule_files: [thresholds.rules.yml, queue-exporter.rules.yml]
            evaluation_interval: 1m
            tests:
              - interval: 1m
                input_series:
            {Age("root.reports", scraper.Custom)}
            {Age("root.mail", scraper.Custom)}
            {Age("root.other", scraper.Default)}
                alert_rule_test:
                  - eval_time: 10m
                    alertname: QueueJobQueueStuck
                    exp_alerts: []
                  - eval_time: 11m
                    alertname: QueueJobQueueStuck
                    exp_alerts:
            {Stuck("root.reports", "11m 0s")}
                  - eval_time: 20m
                    alertname: QueueJobQueueStuck
                    exp_alerts:
            {Stuck("root.reports", "20m 0s")}
                  - eval_time: 21m
                    alertname: QueueJobQueueStuck
                    exp_alerts:
            {Stuck("root.mail", "21m 0s")}
            {Stuck("root.reports", "21m 0s")}
            """;
        await File.WriteAllTextAsync(Path.Combine(customAlerts, "override.test.yml"), test);

        var result = await ExternalTool.RunAsync("promtool", ["test", "rules", "override.test.yml"], customAlerts);

        Assert.True(result.ExitCode == 0, $"{result.Output}\n{test}");
    }
}
