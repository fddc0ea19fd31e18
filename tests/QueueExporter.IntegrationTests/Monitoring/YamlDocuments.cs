using YamlDotNet.RepresentationModel;

namespace QueueExporter.IntegrationTests.Monitoring;

/// <summary>
/// Navigation in YAML files (rules, compose, Prometheus and Grafana configuration) through
/// YamlDotNet's representation model: the tests read a few keys and need no typed schema.
/// </summary>
internal static class YamlDocuments
{
    public static YamlMappingNode LoadMapping(string file)
    {
        using var reader = new StreamReader(file);
        var stream = new YamlStream();
        stream.Load(reader);
        return stream.Documents[0].RootNode as YamlMappingNode
            ?? throw new InvalidDataException($"{file}: the document is not a mapping");
    }

    public static YamlNode? Child(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child : null;

    public static string? Scalar(YamlMappingNode node, string key) =>
        (Child(node, key) as YamlScalarNode)?.Value;

    public static YamlMappingNode? Mapping(YamlMappingNode node, string key) =>
        Child(node, key) as YamlMappingNode;

    public static IEnumerable<YamlNode> Sequence(YamlMappingNode node, string key) =>
        Child(node, key) as YamlSequenceNode ?? [];

    public static IReadOnlyDictionary<string, string> StringMap(YamlMappingNode node, string key) =>
        Mapping(node, key)?.Children.ToDictionary(
            entry => ((YamlScalarNode)entry.Key).Value ?? "",
            entry => (entry.Value as YamlScalarNode)?.Value ?? "",
            StringComparer.Ordinal)
        ?? new Dictionary<string, string>(StringComparer.Ordinal);

    public static IEnumerable<string> Keys(YamlMappingNode? node) =>
        node?.Children.Keys.OfType<YamlScalarNode>().Select(k => k.Value ?? "") ?? [];
}
