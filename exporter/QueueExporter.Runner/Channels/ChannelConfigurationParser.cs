using System.Globalization;

namespace QueueExporter.Runner.Channels;

/// <summary>
/// Parses the OCA channels grammar: <c>channel(.subchannel)*(:capacity(:key(=value)?)*)?</c>, entries
/// separated by commas or newlines, whitespace stripped, empty entries ignored, <c>root.</c> optional.
/// Stricter than OCA where OCA would silently misbehave (negative capacity, a channel configured twice,
/// an empty name segment): a runner that starts with a configuration other than the one meant is worse
/// than one that refuses to start.
/// </summary>
public static class ChannelConfigurationParser
{
    /// <summary>The configuration used when nothing is configured.</summary>
    public const string Default = "root:1";

    /// <summary>Parses <paramref name="text"/>; throws <see cref="ChannelConfigurationException"/> on the first bad entry.</summary>
    public static IReadOnlyList<ChannelConfiguration> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var result = new List<ChannelConfiguration>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var rawEntry in text.Replace("\r", "", StringComparison.Ordinal).Split([',', '\n']))
        {
            var entry = rawEntry.Trim();
            if (entry.Length == 0)
            {
                continue;
            }

            var configuration = ParseEntry(entry);
            if (!seen.Add(configuration.Name))
            {
                throw Bad(entry, $"channel {configuration.Name} is configured more than once");
            }

            result.Add(configuration);
        }

        return result;
    }

    /// <summary>Normalises a job's or configuration's channel name to its full <c>root.…</c> form.</summary>
    public static string FullName(string? name)
    {
        var trimmed = name?.Trim();
        if (string.IsNullOrEmpty(trimmed) || trimmed == ChannelTree.RootName)
        {
            return ChannelTree.RootName;
        }

        return trimmed.StartsWith(ChannelTree.RootName + ".", StringComparison.Ordinal) ? trimmed : ChannelTree.RootName + "." + trimmed;
    }

    /// <summary>
    /// Whether a full channel name (<see cref="FullName"/>) is one the runner can configure: no empty
    /// segment (<c>root..x</c>, <c>root.x.</c>) and none of the configuration's separators.
    /// </summary>
    public static bool IsValidFullName(string fullName) =>
        !string.IsNullOrEmpty(fullName)
        && fullName.IndexOfAny([':', ',', '\n', '\r']) < 0
        && fullName.Split('.').All(segment => segment.Trim().Length > 0);

    private static ChannelConfiguration ParseEntry(string entry)
    {
        var items = entry.Split(':').Select(item => item.Trim()).ToArray();
        if (items[0].Length == 0)
        {
            throw Bad(entry, "missing channel name");
        }

        var name = FullName(items[0]);
        if (!IsValidFullName(name))
        {
            throw Bad(entry, "empty segment in channel name");
        }

        if (items.Length == 1)
        {
            return new ChannelConfiguration(name, Capacity: 1);
        }

        if (!int.TryParse(items[1], NumberStyles.None, CultureInfo.InvariantCulture, out var capacity))
        {
            throw Bad(entry, $"capacity '{items[1]}' is not a non-negative integer");
        }

        var keys = new HashSet<string>(StringComparer.Ordinal);
        var sequential = false;
        var paused = false;
        var throttle = 0;
        var ignored = new List<string>();
        foreach (var item in items.Skip(2))
        {
            var keyValue = item.Split('=').Select(part => part.Trim()).ToArray();
            if (keyValue.Length > 2 || keyValue[0].Length == 0)
            {
                throw Bad(entry, $"option '{item}' is not key or key=value");
            }

            var key = keyValue[0];
            var value = keyValue.Length == 2 ? keyValue[1] : null;
            if (!keys.Add(key))
            {
                throw Bad(entry, $"option '{key}' is given more than once");
            }

            switch (key)
            {
                case "sequential":
                    sequential = ParseFlag(entry, key, value);
                    break;
                case "paused":
                    paused = ParseFlag(entry, key, value);
                    break;
                case "throttle":
                    if (value is null || !int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out throttle))
                    {
                        throw Bad(entry, $"throttle needs a whole number of seconds, got '{value}'");
                    }

                    break;
                default:
                    ignored.Add(key);
                    break;
            }
        }

        if (sequential && capacity != 1)
        {
            throw Bad(entry, "a sequential channel must have a capacity of 1");
        }

        return new ChannelConfiguration(name, capacity, sequential, throttle, paused, ignored.Count == 0 ? null : ignored);
    }

    private static bool ParseFlag(string entry, string key, string? value) => value?.ToUpperInvariant() switch
    {
        null or "TRUE" or "1" or "YES" => true,
        "FALSE" or "0" or "NO" => false,
        _ => throw Bad(entry, $"{key} takes no value or true/false, got '{value}'"),
    };

    private static ChannelConfigurationException Bad(string entry, string reason) =>
        new($"invalid channels configuration entry '{entry}': {reason}");
}
