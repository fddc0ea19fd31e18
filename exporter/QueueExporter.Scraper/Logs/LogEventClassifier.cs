using System.Globalization;
using System.Text.RegularExpressions;

namespace QueueExporter.Scraper.Logs;

/// <summary>
/// Decides which queue_job event, if any, a log record reports. Pure. It looks only at the header
/// line: a traceback that follows belongs to the same record and so counts once.
/// </summary>
public static partial class LogEventClassifier
{
    private const string RunnerLogger = "queue_job.jobrunner";
    private const string ChannelsLogger = "queue_job.jobrunner.channels";
    private const string ControllerLogger = "queue_job.controllers";
    private const string AccessLogger = "werkzeug";

    /// <summary>Returns one of <see cref="LogEvents"/>, or null for a record that is no queue_job event.</summary>
    public static string? Classify(LogRecordHeader header)
    {
        ArgumentNullException.ThrowIfNull(header);
        var logger = header.Logger;
        var message = header.Message;

        if (logger == AccessLogger || logger.EndsWith("." + AccessLogger, StringComparison.Ordinal))
        {
            return ClassifyAccessLine(message);
        }

        if (logger.Contains(ControllerLogger, StringComparison.Ordinal))
        {
            // The controller logs the failing job's traceback at ERROR; its only WARNING is the
            // "not runnable" one. Both are worth counting, nothing else it says is.
            if (header.Level is LogLevels.Error or LogLevels.Critical)
            {
                return LogEvents.JobFailed;
            }

            return message.Contains("was requested to run job", StringComparison.Ordinal) ? LogEvents.JobNotRunnable : null;
        }

        if (logger.Contains(ChannelsLogger, StringComparison.Ordinal))
        {
            return message.StartsWith("unexpected state", StringComparison.Ordinal) ? LogEvents.UnexpectedState : null;
        }

        if (!logger.Contains(RunnerLogger, StringComparison.Ordinal))
        {
            return null;
        }

        return message switch
        {
            _ when message.StartsWith("asking Odoo to run job", StringComparison.Ordinal) => LogEvents.JobDispatched,
            _ when message.StartsWith("queue job runner ready for db", StringComparison.Ordinal) => LogEvents.RunnerReady,
            _ when message.StartsWith("state of job ", StringComparison.Ordinal)
                && message.Contains(" was reset from ", StringComparison.Ordinal) => LogEvents.StateReset,
            _ when message.StartsWith("Re-queued dead job", StringComparison.Ordinal) => LogEvents.DeadJobRequeued,
            _ when message.StartsWith("exception in GET", StringComparison.Ordinal) => LogEvents.DispatchError,
            _ when message.StartsWith("exception: sleeping", StringComparison.Ordinal) => LogEvents.RunnerError,
            _ when message.Contains("queue_job_notify trigger is missing", StringComparison.Ordinal) => LogEvents.TriggerMissing,
            _ => null,
        };
    }

    private static string? ClassifyAccessLine(string message)
    {
        var match = RunjobAccessPattern().Match(message);
        if (!match.Success)
        {
            return null;
        }

        var status = int.Parse(match.Groups["status"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture);
        return LogEvents.RunjobStatus(status);
    }

    // `127.0.0.1 - - [09/Dec/2025 07:22:44] "GET /queue_job/runjob?db=x&job_uuid=y HTTP/1.1" 200 - ...`
    [GeneratedRegex(
        "\"[A-Z]{1,10} /queue_job/runjob[?/ ][^\"]{0,4096}\" (?<status>\\d{3})(?: |$)",
        RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture)]
    private static partial Regex RunjobAccessPattern();
}
