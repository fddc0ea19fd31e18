using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace QueueExporter.QueueJob.Logging;

/// <summary>Console logging for every subcommand: <c>simple</c> (one line), <c>odoo</c>, or <c>json</c>.</summary>
public static class LoggingSetup
{
    /// <summary>The formats <see cref="AddQueueExporterConsole"/> accepts.</summary>
    public static readonly IReadOnlyList<string> Formats = ["simple", OdooLogFormatter.FormatterName, "json"];

    /// <summary>Replaces the providers with one console logger in the chosen format, at <paramref name="minimum"/> level.</summary>
    public static ILoggingBuilder AddQueueExporterConsole(this ILoggingBuilder builder, string format, LogLevel minimum = LogLevel.Information)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.ClearProviders();
        builder.SetMinimumLevel(minimum);
        // ASP.NET Core's per-request lines would drown the job events operators look for.
        builder.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
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
