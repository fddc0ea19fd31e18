using YamlDotNet.RepresentationModel;

namespace QueueExporter.IntegrationTests.Monitoring;

/// <summary>
/// ./demo.sh fills deploy/prometheus/prometheus.demo.yml.tmpl with loopback addresses: filled in
/// the same way, it must be a valid configuration loading the shipped rules, and scrape the same
/// jobs as the stack's prometheus.yml (the alerts select on job names).
/// </summary>
public sealed class DemoPrometheusConfigTests
{
    [Fact]
    public async Task The_demo_template_filled_in_as_demo_sh_does_is_valid_and_scrapes_the_stack_jobs()
    {
        var template = await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "deploy", "prometheus", "prometheus.demo.yml.tmpl"));
        var filled = template
            .Replace("@RUNNER@", "127.0.0.1:19101", StringComparison.Ordinal)
            .Replace("@WORKER@", "127.0.0.1:18069", StringComparison.Ordinal)
            .Replace("@SCRAPER@", "127.0.0.1:19103", StringComparison.Ordinal)
            .Replace("@ALERTMANAGER@", "127.0.0.1:19093", StringComparison.Ordinal)
            .Replace("@ROOT@", RepositoryPaths.Root, StringComparison.Ordinal);
        Assert.DoesNotContain("@", filled.Split('\n').Where(line => !line.TrimStart().StartsWith('#')).Aggregate("", string.Concat), StringComparison.Ordinal);
        var dir = Directory.CreateTempSubdirectory("queue-exporter-demo-config-");
        try
        {
            var file = Path.Combine(dir.FullName, "prometheus.yml");
            await File.WriteAllTextAsync(file, filled);

            var check = await ExternalTool.RunAsync("promtool", ["check", "config", file]);

            Assert.True(check.ExitCode == 0, check.Output);
            // The demo preset of the rules (alerts/demo/), one file per shipped rule file.
            var demoRules = Directory.GetFiles(Path.Combine(RepositoryPaths.Alerts, "demo"), "*.rules.yml");
            Assert.Equal(RepositoryPaths.RuleFiles.Select(Path.GetFileName).Order(StringComparer.Ordinal), demoRules.Select(Path.GetFileName).Order(StringComparer.Ordinal));
            foreach (var ruleFile in demoRules)
            {
                Assert.Contains(ruleFile, check.Output, StringComparison.Ordinal);
            }

            Assert.Equal(JobNames(RepositoryPaths.PrometheusConfig).Where(j => j.StartsWith("queue-exporter-", StringComparison.Ordinal)), JobNames(file));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static IEnumerable<string> JobNames(string prometheusConfig) =>
        YamlDocuments.Sequence(YamlDocuments.LoadMapping(prometheusConfig), "scrape_configs").OfType<YamlMappingNode>()
            .Select(job => YamlDocuments.Scalar(job, "job_name") ?? "")
            .Order(StringComparer.Ordinal)
            .ToList();
}
