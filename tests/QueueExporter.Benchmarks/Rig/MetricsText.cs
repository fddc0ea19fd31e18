using System.Globalization;

namespace QueueExporter.Benchmarks.Rig;

/// <summary>Reads samples from a process's Prometheus text exposition.</summary>
internal static class MetricsText
{
    private static readonly HttpClient Client = new() { Timeout = TimeSpan.FromSeconds(30) };

    public static Task<string> ScrapeAsync(Uri metrics) => Client.GetStringAsync(metrics);

    /// <summary>The value of the sample named exactly <paramref name="nameWithLabels"/>, or null.</summary>
    public static double? Sample(string text, string nameWithLabels)
    {
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith(nameWithLabels + " ", StringComparison.Ordinal))
            {
                return double.Parse(line[(nameWithLabels.Length + 1)..], CultureInfo.InvariantCulture);
            }
        }

        return null;
    }

    /// <summary>The sum of every sample of <paramref name="name"/> whose labels contain <paramref name="label"/> (e.g. <c>outcome="done"</c>).</summary>
    public static double Sum(string text, string name, string label = "")
    {
        var sum = 0.0;
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith(name, StringComparison.Ordinal) && line.Length > name.Length && line[name.Length] is '{' or ' '
                && line.Contains(label, StringComparison.Ordinal))
            {
                sum += double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
            }
        }

        return sum;
    }
}
