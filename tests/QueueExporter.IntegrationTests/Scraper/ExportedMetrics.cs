using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Prometheus;

namespace QueueExporter.IntegrationTests.Scraper;

/// <summary>The text exposition of a registry, read back as samples for assertions.</summary>
internal sealed partial class ExportedMetrics
{
    private readonly List<(string Name, Dictionary<string, string> Labels, double Value)> _samples = [];

    private ExportedMetrics(string text)
    {
        Text = text;
        foreach (var line in text.Split('\n'))
        {
            var match = SamplePattern().Match(line);
            if (!match.Success)
            {
                continue;
            }

            var labels = LabelPattern().Matches(match.Groups["labels"].Value)
                .ToDictionary(m => m.Groups["key"].Value, m => m.Groups["value"].Value);
            _samples.Add((match.Groups["name"].Value, labels, double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture)));
        }
    }

    public string Text { get; }

    public static async Task<ExportedMetrics> ReadAsync(CollectorRegistry registry)
    {
        using var stream = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(stream);
        return new ExportedMetrics(Encoding.UTF8.GetString(stream.ToArray()));
    }

    public static ExportedMetrics Parse(string text) => new(text);

    /// <summary>Samples of <paramref name="name"/> whose labels include all of <paramref name="labels"/>.</summary>
    public IEnumerable<(Dictionary<string, string> Labels, double Value)> Samples(string name, params (string Key, string Value)[] labels) =>
        _samples
            .Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value))
            .Select(s => (s.Labels, s.Value));

    /// <summary>The single sample matching, or null when there is none.</summary>
    public double? Value(string name, params (string Key, string Value)[] labels)
    {
        var matches = Samples(name, labels).ToList();
        return matches.Count switch
        {
            0 => null,
            1 => matches[0].Value,
            _ => throw new InvalidOperationException($"{matches.Count} samples of {name} match"),
        };
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?<labels>.*)\})? (?<value>\S+)$")]
    private static partial Regex SamplePattern();

    [GeneratedRegex("(?<key>[a-zA-Z_][a-zA-Z0-9_]*)=\"(?<value>(?:[^\"\\\\]|\\\\.)*)\"")]
    private static partial Regex LabelPattern();
}
