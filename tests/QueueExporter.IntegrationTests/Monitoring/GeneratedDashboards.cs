using System.Text.Json;
using System.Text.RegularExpressions;

namespace QueueExporter.IntegrationTests.Monitoring;

/// <summary>Reads the committed dashboards/generated/*.json: panels, their queries, variables.</summary>
internal static partial class GeneratedDashboards
{
    public static JsonDocument Load(string file) => JsonDocument.Parse(File.ReadAllText(file));

    /// <summary>Every panel, rows' collapsed children included, rows themselves excluded.</summary>
    public static IEnumerable<JsonElement> Panels(JsonElement dashboard)
    {
        if (!dashboard.TryGetProperty("panels", out var panels))
        {
            yield break;
        }

        foreach (var panel in panels.EnumerateArray())
        {
            if (panel.GetProperty("type").GetString() == "row")
            {
                foreach (var child in Panels(panel))
                {
                    yield return child;
                }
            }
            else
            {
                yield return panel;
            }
        }
    }

    public static string Title(JsonElement panel) =>
        panel.TryGetProperty("title", out var title) ? title.GetString() ?? "" : "";

    public static IReadOnlyList<DashboardQuery> AllQueries() =>
        [.. RepositoryPaths.GeneratedDashboardFiles.SelectMany(QueriesOf)];

    public static IReadOnlyList<DashboardQuery> QueriesOf(string file)
    {
        using var document = Load(file);
        var name = Path.GetFileNameWithoutExtension(file);
        var queries = new List<DashboardQuery>();
        foreach (var panel in Panels(document.RootElement))
        {
            if (!panel.TryGetProperty("targets", out var targets))
            {
                continue;
            }

            foreach (var target in targets.EnumerateArray())
            {
                if (target.TryGetProperty("expr", out var expr))
                {
                    queries.Add(new DashboardQuery(name, $"panel '{Title(panel)}'", expr.GetString() ?? ""));
                }
            }
        }

        foreach (var variable in Variables(document.RootElement))
        {
            var query = variable.TryGetProperty("query", out var q) && q.ValueKind == JsonValueKind.String ? q.GetString() ?? "" : "";
            var labelValues = LabelValues().Match(query);
            if (labelValues.Success)
            {
                queries.Add(new DashboardQuery(name, $"variable '{variable.GetProperty("name").GetString()}'", labelValues.Groups["selector"].Value));
            }
        }

        return queries;
    }

    /// <summary>The Prometheus queries of the dashboards' annotations (firing alerts).</summary>
    public static IReadOnlyList<DashboardQuery> AnnotationQueries() =>
    [
        .. RepositoryPaths.GeneratedDashboardFiles.SelectMany(file =>
        {
            using var document = Load(file);
            return document.RootElement.TryGetProperty("annotations", out var annotations)
                ? annotations.GetProperty("list").EnumerateArray()
                    .Where(a => a.TryGetProperty("expr", out _))
                    .Select(a => new DashboardQuery(Path.GetFileNameWithoutExtension(file), $"annotation '{a.GetProperty("name").GetString()}'", a.GetProperty("expr").GetString() ?? ""))
                    .ToList()
                : [];
        }),
    ];

    public static IEnumerable<JsonElement> Variables(JsonElement dashboard) =>
        dashboard.TryGetProperty("templating", out var templating) && templating.TryGetProperty("list", out var list)
            ? list.EnumerateArray().ToList()
            : [];

    // Grafana's Prometheus variable function label_values(<series selector>, <label>).
    [GeneratedRegex(@"^\s*label_values\((?<selector>.+),\s*(?<label>[A-Za-z_][A-Za-z0-9_]*)\s*\)\s*$")]
    private static partial Regex LabelValues();
}
