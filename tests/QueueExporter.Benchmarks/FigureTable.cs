using System.Globalization;
using System.Text;
using System.Text.Json;

namespace QueueExporter.Benchmarks;

/// <summary>Collects the figures of a run and renders them as a markdown table and as JSON (for the smoke test).</summary>
internal sealed class FigureTable
{
    private readonly List<Figure> _figures = [];

    public IReadOnlyList<Figure> Figures => _figures;

    public void Add(Figure figure)
    {
        _figures.Add(figure);
        Console.WriteLine($"  {figure.Scenario}: {figure.Name} = {Format(figure.Value)} {figure.Unit}" + (figure.Ratio is { } r ? $" ({Format(r)}×; {figure.Reference})" : ""));
    }

    public double? Find(string scenario, string name) =>
        _figures.FirstOrDefault(f => f.Scenario == scenario && f.Name == name)?.Value;

    public string ToMarkdown()
    {
        var text = new StringBuilder();
        text.AppendLine("| scenario | figure | ours | reference | ratio | target | met |");
        text.AppendLine("|---|---|---:|---|---:|---|---|");
        foreach (var f in _figures)
        {
            var met = f.Met switch { true => "yes", false => "**no**", null => "" };
            var ratio = f.Ratio is { } r ? Format(r) + "×" : "";
            text.AppendLine(CultureInfo.InvariantCulture, $"| {f.Scenario} | {f.Name} | {Format(f.Value)} {f.Unit} | {f.Reference} | {ratio} | {f.Target} | {met} |");
        }

        return text.ToString();
    }

    public string ToJson() => JsonSerializer.Serialize(_figures, new JsonSerializerOptions { WriteIndented = true });

    public static string Format(double value) => value switch
    {
        >= 1000 => value.ToString("#,0", CultureInfo.InvariantCulture),
        >= 100 => value.ToString("0", CultureInfo.InvariantCulture),
        >= 10 => value.ToString("0.0", CultureInfo.InvariantCulture),
        _ => value.ToString("0.00#", CultureInfo.InvariantCulture),
    };
}
