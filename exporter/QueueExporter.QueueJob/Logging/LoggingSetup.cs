using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace QueueExporter.QueueJob.Logging;

/// <summary>Console logging for every subcommand: <c>simple</c> (one line), <c>odoo</c>, or <c>json</c>.</summary>
public static class LoggingSetup
{
    /// <summary>The formats <see cref="AddQueueExporterConsole"/> accepts.</summary>
    public static readonly IReadOnlyList<string> Formats = ["simple", OdooLogFormatter.FormatterName, "json"];

    /// <summary>The names <c>--log-level</c> accepts, least severe first.</summary>
    public static readonly IReadOnlyList<string> Levels = ["trace", "debug", "information", "warning", "error"];

    /// <summary>Reads a <c>--log-level</c> name (case-insensitive); false for anything not in <see cref="Levels"/>.</summary>
    public static bool TryParseLevel(string? name, out LogLevel level)
    {
        level = (name ?? string.Empty).ToLowerInvariant() switch
        {
            "trace" => LogLevel.Trace,
            "debug" => LogLevel.Debug,
            "information" => LogLevel.Information,
            "warning" => LogLevel.Warning,
            "error" => LogLevel.Error,
            _ => LogLevel.None,
        };
        return level != LogLevel.None;
    }

    /// <summary>Replaces the providers with one console logger in the chosen format, at <paramref name="minimum"/> level.</summary>
    public static ILoggingBuilder AddQueueExporterConsole(this ILoggingBuilder builder, string format, LogLevel minimum = LogLevel.Information)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.ClearProviders();
        builder.SetMinimumLevel(minimum);
        // ASP.NET Core's per-request lines would drown the job events operators look for, even at debug.
        var framework = minimum > LogLevel.Warning ? minimum : LogLevel.Warning;
        builder.AddFilter("Microsoft.AspNetCore", framework);
        builder.AddFilter("Microsoft.Hosting.Lifetime", framework);
        switch (format)
        {
            case OdooLogFormatter.FormatterName:
                builder.AddConsole(o => o.FormatterName = OdooLogFormatter.FormatterName).AddConsoleFormatter<OdooLogFormatter, ConsoleFormatterOptions>();
                break;
            case "json":
                builder.AddJsonConsole(o => o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ");
                break;
            case "simple":
                builder.AddSimpleConsole(o =>
                {
                    o.SingleLine = true;
                    o.TimestampFormat = "yyyy-MM-dd HH:mm:ss.fff ";
                });
                break;
            default:
                throw new ArgumentException($"--log-format must be one of {string.Join(", ", Formats)}, got '{format}'");
        }

        builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.None);
        return builder;
    }
}
