using YamlDotNet.RepresentationModel;

namespace QueueExporter.IntegrationTests.Monitoring;

/// <summary>Reads the rule files in alerts/ into <see cref="PrometheusRule"/> values.</summary>
internal static class PrometheusRuleFiles
{
    public static IReadOnlyList<PrometheusRule> LoadAll() =>
        [.. RepositoryPaths.RuleFiles.SelectMany(Load)];

    public static IReadOnlyList<PrometheusRule> Load(string file)
    {
        var root = YamlDocuments.LoadMapping(file);
        var rules = new List<PrometheusRule>();
        foreach (var group in YamlDocuments.Sequence(root, "groups").OfType<YamlMappingNode>())
        {
            var groupName = YamlDocuments.Scalar(group, "name") ?? "";
            foreach (var rule in YamlDocuments.Sequence(group, "rules").OfType<YamlMappingNode>())
            {
                rules.Add(new PrometheusRule(
                    file,
                    groupName,
                    YamlDocuments.Scalar(rule, "alert"),
                    YamlDocuments.Scalar(rule, "record"),
                    YamlDocuments.Scalar(rule, "expr") ?? "",
                    YamlDocuments.Scalar(rule, "for"),
                    YamlDocuments.StringMap(rule, "labels"),
                    YamlDocuments.StringMap(rule, "annotations")));
            }
        }

        return rules;
    }
}
