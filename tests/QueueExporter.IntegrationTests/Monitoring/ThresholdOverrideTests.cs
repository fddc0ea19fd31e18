using YamlDotNet.RepresentationModel;

namespace QueueExporter.IntegrationTests.Monitoring;

/// <summary>
/// The promise of alerts/thresholds.rules.yml: an operator changes a number there, and the shipped
/// alert rules follow without being edited. Shown with the real promtool on a copy.
/// </summary>
public sealed class ThresholdOverrideTests
{
    private const string PendingAgeThreshold = "queue_job:alert_threshold:pending_age_seconds";

    [Fact]
    public async Task A_lowered_pending_age_threshold_makes_QueueJobQueueStuck_fire_earlier()
    {
        var workDir = Directory.CreateTempSubdirectory("queue-exporter-thresholds-");
        try
        {
            File.Copy(Path.Combine(RepositoryPaths.Alerts, "queue-exporter.rules.yml"), Path.Combine(workDir.FullName, "queue-exporter.rules.yml"));
            WriteThresholdsWith(PendingAgeThreshold, "vector(300)", Path.Combine(workDir.FullName, "thresholds.rules.yml"));
            // Age grows a minute per minute, nothing completes: over 300 s from 6m, for: 5m -> 11m.
            // With the shipped 900 s it would fire only at 21m.
            await File.WriteAllTextAsync(Path.Combine(workDir.FullName, "override.test.yml"), """
                rule_files: [thresholds.rules.yml, queue-exporter.rules.yml]
                evaluation_interval: 1m
                tests:
                  - interval: 1m
                    input_series:
                      - series: 'queue_job_oldest_age_seconds{database="odoo",channel="root",state="pending",job="queue-exporter-scraper"}'
                        values: '0+60x30'
                    alert_rule_test:
                      - eval_time: 10m
                        alertname: QueueJobQueueStuck
                        exp_alerts: []
                      - eval_time: 11m
                        alertname: QueueJobQueueStuck
                        exp_alerts:
                          - exp_labels: {severity: critical, cause: oldest_pending_age, database: odoo, channel: root}
                            exp_annotations:
                              summary: "Channel root in odoo is stuck"
                              description: "The oldest runnable pending job in channel root of odoo has waited 11m 0s and the channel completed no job (done, failed or cancelled) in the last 15 minutes."
                              runbook_url: "alerts/runbook.md#queuejobqueuestuck"
                """);

            var result = await ExternalTool.RunAsync("promtool", ["test", "rules", "override.test.yml"], workDir.FullName);

            Assert.True(result.ExitCode == 0, result.Output);
        }
        finally
        {
            workDir.Delete(recursive: true);
        }
    }

    private static void WriteThresholdsWith(string record, string expr, string path)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(Path.Combine(RepositoryPaths.Alerts, "thresholds.rules.yml")))
        {
            stream.Load(reader);
        }

        var rules = ((YamlMappingNode)stream.Documents[0].RootNode)
            .Children[new YamlScalarNode("groups")].AllNodes.OfType<YamlMappingNode>()
            .Where(node => YamlDocuments.Scalar(node, "record") == record)
            .ToList();
        var rule = Assert.Single(rules);
        rule.Children[new YamlScalarNode("expr")] = new YamlScalarNode(expr);

        using var writer = new StreamWriter(path);
        stream.Save(writer, assignAnchors: false);
    }
}
