using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace QueueExporter.IntegrationTests.Monitoring;

/// <summary>The rule files in alerts/: valid for the real promtool, tested, documented.</summary>
public sealed partial class AlertRulesTests
{
    private static readonly string[] Severities = ["critical", "warning", "info"];

    [Fact]
    public async Task Promtool_accepts_every_rule_file()
    {
        Assert.NotEmpty(RepositoryPaths.RuleFiles);

        var result = await ExternalTool.RunAsync("promtool", ["check", "rules", .. RepositoryPaths.RuleFiles]);

        Assert.True(result.ExitCode == 0, result.Output);
    }

    [Fact]
    public async Task Promtool_unit_tests_of_the_rules_pass()
    {
        Assert.NotEmpty(RepositoryPaths.RuleTestFiles);

        var result = await ExternalTool.RunAsync("promtool", ["test", "rules", .. RepositoryPaths.RuleTestFiles]);

        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains("SUCCESS", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Prometheus_accepts_the_stack_configuration_and_the_rules_it_loads()
    {
        var result = await ExternalTool.RunAsync("promtool", ["check", "config", RepositoryPaths.PrometheusConfig]);

        Assert.True(result.ExitCode == 0, result.Output);
        foreach (var ruleFile in RepositoryPaths.RuleFiles)
        {
            Assert.Contains(Path.GetFileName(ruleFile), result.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Every_alert_has_for_a_severity_a_summary_a_description_and_a_runbook_url()
    {
        var alerts = PrometheusRuleFiles.LoadAll().Where(r => r.Alert is not null).ToList();
        Assert.NotEmpty(alerts);

        var problems = new List<string>();
        foreach (var alert in alerts)
        {
            if (string.IsNullOrWhiteSpace(alert.For))
            {
                problems.Add($"{alert.Describe()}: no for:");
            }

            if (!alert.Labels.TryGetValue("severity", out var severity) || !Severities.Contains(severity))
            {
                problems.Add($"{alert.Describe()}: severity label missing or not one of {string.Join('/', Severities)}");
            }

            foreach (var annotation in (string[])["summary", "description", "runbook_url"])
            {
                if (string.IsNullOrWhiteSpace(alert.Annotations.GetValueOrDefault(annotation)))
                {
                    problems.Add($"{alert.Describe()}: no {annotation} annotation");
                }
            }
        }

        Assert.Empty(problems);
    }

    [Fact]
    public void Every_runbook_url_points_at_the_alerts_own_section_of_the_runbook()
    {
        var headings = File.ReadAllLines(RepositoryPaths.Runbook)
            .Where(line => line.StartsWith("## ", StringComparison.Ordinal))
            .Select(line => line[3..].Trim())
            .ToHashSet(StringComparer.Ordinal);

        var problems = new List<string>();
        foreach (var alert in PrometheusRuleFiles.LoadAll().Where(r => r.Alert is not null))
        {
            var expected = $"alerts/runbook.md#{alert.Alert!.ToLowerInvariant()}";
            if (alert.Annotations.GetValueOrDefault("runbook_url") != expected)
            {
                problems.Add($"{alert.Describe()}: runbook_url is not {expected}");
            }

            if (!headings.Contains(alert.Alert))
            {
                problems.Add($"{alert.Describe()}: runbook.md has no '## {alert.Alert}' section");
            }
        }

        Assert.Empty(problems);
    }

    [Fact]
    public void Every_alert_is_tested_both_silent_and_firing()
    {
        var silent = new HashSet<string>(StringComparer.Ordinal);
        var firing = new HashSet<string>(StringComparer.Ordinal);
        foreach (var testFile in RepositoryPaths.RuleTestFiles)
        {
            foreach (var test in YamlDocuments.Sequence(YamlDocuments.LoadMapping(testFile), "tests").OfType<YamlMappingNode>())
            {
                foreach (var check in YamlDocuments.Sequence(test, "alert_rule_test").OfType<YamlMappingNode>())
                {
                    var name = YamlDocuments.Scalar(check, "alertname") ?? "";
                    var expected = YamlDocuments.Sequence(check, "exp_alerts").Any();
                    (expected ? firing : silent).Add(name);
                }
            }
        }

        var alertNames = PrometheusRuleFiles.LoadAll().Select(r => r.Alert).OfType<string>().Distinct().ToList();
        Assert.NotEmpty(alertNames);
        Assert.Empty(alertNames.Where(name => !firing.Contains(name)).Select(name => $"{name}: never tested firing"));
        Assert.Empty(alertNames.Where(name => !silent.Contains(name)).Select(name => $"{name}: never tested silent"));
    }

    [Fact]
    public void Every_threshold_the_alerts_compare_with_has_one_default_and_distinct_overrides()
    {
        var rules = PrometheusRuleFiles.LoadAll();
        var used = rules.Where(r => r.Alert is not null)
            .SelectMany(r => ThresholdName().Matches(r.Expr).Select(m => m.Value))
            .ToHashSet(StringComparer.Ordinal);
        Assert.NotEmpty(used);

        foreach (var threshold in used)
        {
            var definitions = rules.Where(r => r.Record == threshold).ToList();
            var defaults = definitions.Count(r => r.Labels.Count == 0);
            Assert.True(defaults == 1, $"{threshold} has {defaults} default (unlabelled) series");
            var overrides = definitions.Where(r => r.Labels.Count > 0).Select(r => string.Join(',', r.Labels.Select(l => $"{l.Key}={l.Value}").Order(StringComparer.Ordinal))).ToList();
            Assert.True(overrides.Distinct().Count() == overrides.Count, $"{threshold} has two overrides for one place");
        }
    }

    [Fact]
    public void Every_alert_reads_recorded_series_recorded_before_it_in_its_own_group()
    {
        // Groups run independently: an alert in another group would read a recording up to one
        // interval old and start its for: a step late at random (promtool tests turn flaky).
        // Thresholds are constants and exempt.
        var problems = new List<string>();
        foreach (var group in PrometheusRuleFiles.LoadAll().GroupBy(r => (r.File, r.Group)))
        {
            var recordedSoFar = new HashSet<string>(StringComparer.Ordinal);
            foreach (var rule in group)
            {
                var recordedNames = PromQlMetricNames.Extract(rule.Expr)
                    .Where(name => name.Contains(':', StringComparison.Ordinal) && !ThresholdName().IsMatch(name));
                problems.AddRange(recordedNames.Where(name => !recordedSoFar.Contains(name))
                    .Select(name => $"{rule.Describe()} reads {name}, not recorded before it in its group"));
                if (rule.Record is not null)
                {
                    recordedSoFar.Add(rule.Record);
                }
            }
        }

        Assert.Empty(problems);
    }

    [GeneratedRegex(@"queue_job:alert_threshold:[a-z0-9_]+")]
    private static partial Regex ThresholdName();
}
