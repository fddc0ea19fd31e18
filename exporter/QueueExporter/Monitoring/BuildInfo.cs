using System.Reflection;
using Prometheus;

namespace QueueExporter.Monitoring;

/// <summary>
/// <c>queue_exporter_build_info{component,version,revision} 1</c>, the one build-info family of every
/// long-running command, shaped like the Prometheus exporters' own (<c>node_exporter_build_info</c>):
/// a constant 1 whose labels say which build runs, so a query can join it or a dashboard list versions.
/// The version and revision come from the assembly's informational version, which the build stamps as
/// <c>version+revision</c> (the SDK takes the revision from git, or from <c>-p:SourceRevisionId</c>
/// where there is no .git, as in the container build).
/// </summary>
public static class BuildInfo
{
    /// <summary>The metric's name.</summary>
    public const string MetricName = "queue_exporter_build_info";

    /// <summary>The label value for a part the build did not stamp.</summary>
    public const string Unknown = "unknown";

    /// <summary>This build's <c>version</c> and <c>revision</c>.</summary>
    public static (string Version, string Revision) Current { get; } =
        Parse(typeof(BuildInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion);

    /// <summary>Adds the family to <paramref name="registry"/> with <paramref name="component"/> (runner, worker, scrape).</summary>
    public static void Register(CollectorRegistry registry, string component)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentException.ThrowIfNullOrEmpty(component);
        Metrics.WithCustomRegistry(registry)
            .CreateGauge(MetricName, "Always 1; the labels name the component and the build running it (version, git revision).", "component", "version", "revision")
            .WithLabels(component, Current.Version, Current.Revision)
            .Set(1);
    }

    /// <summary>Splits <c>1.2.3+abcdef…</c> into version and revision; a missing part is <see cref="Unknown"/>.</summary>
    internal static (string Version, string Revision) Parse(string? informationalVersion)
    {
        if (string.IsNullOrWhiteSpace(informationalVersion))
        {
            return (Unknown, Unknown);
        }

        var plus = informationalVersion.IndexOf('+', StringComparison.Ordinal);
        var version = (plus < 0 ? informationalVersion : informationalVersion[..plus]).Trim();
        var revision = plus < 0 ? "" : informationalVersion[(plus + 1)..].Trim();
        return (version.Length == 0 ? Unknown : version, revision.Length == 0 ? Unknown : revision);
    }
}
