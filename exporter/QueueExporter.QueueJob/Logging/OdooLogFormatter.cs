using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace QueueExporter.QueueJob.Logging;

/// <summary>
/// Writes log records in Odoo's format, <c>%(asctime)s %(pid)s %(levelname)s %(dbname)s %(name)s: %(message)s</c>,
/// with our categories mapped to the queue_job logger names, so that log-based tooling written for
/// OCA's runner (and our own scraper's log tailer) reads our runner's and worker's logs unchanged.
/// An exception follows on the next lines, as a Python traceback would.
/// </summary>
public sealed class OdooLogFormatter : ConsoleFormatter
{
    /// <summary>The name to select this formatter with.</summary>
    public const string FormatterName = "odoo";

    private static readonly int ProcessId = Environment.ProcessId;

    /// <summary>Created by the logging infrastructure.</summary>
    public OdooLogFormatter()
        : base(FormatterName)
    {
    }

    /// <inheritdoc/>
    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        ArgumentNullException.ThrowIfNull(textWriter);
        var message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        if (string.IsNullOrEmpty(message) && logEntry.Exception is null)
        {
            return;
        }

        textWriter.Write(FormatLine(DateTimeOffset.Now, ProcessId, logEntry.LogLevel, DatabaseOf(logEntry.State), logEntry.Category, message));
        textWriter.Write('\n');
        if (logEntry.Exception is { } exception)
        {
            textWriter.Write("Traceback (most recent call last):\n");
            textWriter.Write(exception.ToString().Replace("\r", "", StringComparison.Ordinal));
            textWriter.Write('\n');
        }
    }

    /// <summary>One record's first line (pure, for tests).</summary>
    public static string FormatLine(DateTimeOffset time, int pid, LogLevel level, string? database, string category, string message)
    {
        var flat = message.Replace('\n', ' ').Replace('\r', ' ');
        return $"{time:yyyy-MM-dd HH:mm:ss},{time.Millisecond:000} {pid} {LevelName(level)} {(string.IsNullOrEmpty(database) ? "?" : database)} {OdooLoggerName(category)}: {flat}";
    }

    /// <summary>Odoo's level names.</summary>
    public static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Trace or LogLevel.Debug => "DEBUG",
        LogLevel.Information => "INFO",
        LogLevel.Warning => "WARNING",
        LogLevel.Error => "ERROR",
        _ => "CRITICAL",
    };

    /// <summary>The queue_job logger our category stands for; other categories keep their own name.</summary>
    public static string OdooLoggerName(string category) => category switch
    {
        _ when category.StartsWith("QueueExporter.Runner.Channels", StringComparison.Ordinal) => "odoo.addons.queue_job.jobrunner.channels",
        _ when category.StartsWith("QueueExporter.Runner", StringComparison.Ordinal) => "odoo.addons.queue_job.jobrunner.runner",
        _ when category.StartsWith("QueueExporter.Worker", StringComparison.Ordinal) => "odoo.addons.queue_job.controllers.main",
        _ => category,
    };

    private static string? DatabaseOf<TState>(TState state)
    {
        // A structured "Database" value in the message fills Odoo's dbname field.
        if (state is IReadOnlyList<KeyValuePair<string, object?>> values)
        {
            foreach (var (key, value) in values)
            {
                if (key == "Database" && value is string database)
                {
                    return database;
                }
            }
        }

        return null;
    }
}
