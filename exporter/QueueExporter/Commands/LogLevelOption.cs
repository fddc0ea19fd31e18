using System.CommandLine;
using Microsoft.Extensions.Logging;
using QueueExporter.QueueJob.Logging;

namespace QueueExporter.Commands;

/// <summary><c>--log-level</c> of the long-running commands: the least severe log line written.</summary>
internal static class LogLevelOption
{
    /// <summary>The option; a name outside <see cref="LoggingSetup.Levels"/> is a parse error (one line, exit 2).</summary>
    public static Option<LogLevel> Create() => new("--log-level")
    {
        Description = $"Least severe log line written: {string.Join(", ", LoggingSetup.Levels)}. Default information.",
        DefaultValueFactory = _ => LogLevel.Information,
        CustomParser = result =>
        {
            var token = result.Tokens.Count == 1 ? result.Tokens[0].Value : string.Empty;
            if (LoggingSetup.TryParseLevel(token, out var level))
            {
                return level;
            }

            result.AddError($"--log-level: must be one of {string.Join(", ", LoggingSetup.Levels)}, got '{token}'");
            return LogLevel.Information;
        },
    };
}
