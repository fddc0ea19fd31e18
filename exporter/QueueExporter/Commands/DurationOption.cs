using System.CommandLine;
using QueueExporter.QueueJob.Options;

namespace QueueExporter.Commands;

/// <summary>An option whose value is a duration in the one syntax every command reads (<see cref="DurationParser"/>).</summary>
internal static class DurationOption
{
    /// <summary>
    /// A duration option; a bad value is a parse error naming the option (one line, exit 2).
    /// <paramref name="allowZero"/>: 0 is meaningful (e.g. disables a loop).
    /// </summary>
    public static Option<TimeSpan> Create(string name, string description, TimeSpan defaultValue, bool allowZero = false) => new(name)
    {
        Description = $"{description} Default {DurationParser.Format(defaultValue)}.",
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result =>
        {
            var token = result.Tokens.Count == 1 ? result.Tokens[0].Value : string.Empty;
            if (DurationParser.TryParse(token, out var value, out var error, allowZero))
            {
                return value;
            }

            result.AddError($"{name}: {error}");
            return default;
        },
    };
}
