using QueueExporter.Scraper.Logs;
using Xunit;

namespace QueueExporter.Tests.Scraper;

public sealed class LogEventClassifierTests
{
    private const string Runner = "odoo.addons.queue_job.jobrunner.runner";

    [Theory]
    [InlineData("INFO", Runner, "queue job runner ready for db mydb", LogEvents.RunnerReady)]
    [InlineData("INFO", Runner, "asking Odoo to run job 76c3 on db mydb", LogEvents.JobDispatched)]
    [InlineData("WARNING", Runner, "state of job 76c3 was reset from enqueued to pending", LogEvents.StateReset)]
    [InlineData("WARNING", Runner, "Re-queued dead job with uuid: 76c3", LogEvents.DeadJobRequeued)]
    [InlineData("ERROR", Runner, "exception in GET http://localhost:8069/queue_job/runjob?db=x&job_uuid=y", LogEvents.DispatchError)]
    [InlineData("ERROR", Runner, "exception: sleeping 5s and retrying", LogEvents.RunnerError)]
    [InlineData("ERROR", Runner, "queue_job_notify trigger is missing in db mydb", LogEvents.TriggerMissing)]
    [InlineData("ERROR", "odoo.addons.queue_job.jobrunner.channels", "unexpected state done for job 76c3", LogEvents.UnexpectedState)]
    [InlineData("ERROR", "odoo.addons.queue_job.controllers.main", "Traceback (most recent call last):", LogEvents.JobFailed)]
    [InlineData("WARNING", "odoo.addons.queue_job.controllers.main", "was requested to run job 76c3, but it does not exist, or is not in state enqueued", LogEvents.JobNotRunnable)]
    [InlineData("INFO", "werkzeug", "127.0.0.1 - - [09/Dec/2025 07:22:43] \"GET /queue_job/runjob?db=mydb&job_uuid=76c3 HTTP/1.1\" 200 - 7 0.004 0.038", "runjob_http_2xx")]
    [InlineData("INFO", "werkzeug", "127.0.0.1 - - [09/Dec/2025 07:22:43] \"GET /queue_job/runjob?db=mydb&job_uuid=76c3 HTTP/1.1\" 500 -", "runjob_http_5xx")]
    [InlineData("INFO", "werkzeug", "127.0.0.1 - - [09/Dec/2025 07:22:43] \"GET /queue_job/runjob?db=mydb&job_uuid=76c3 HTTP/1.1\" 404 -", "runjob_http_4xx")]
    public void Queue_job_records_are_classified(string level, string logger, string message, string expected)
    {
        Assert.Equal(expected, Classify(level, logger, message));
    }

    [Theory]
    [InlineData("INFO", Runner, "starting")]
    [InlineData("INFO", "odoo.addons.queue_job.jobrunner.channels", "Configured channel: root(C:4,Q:0,R:0,F:0)")]
    [InlineData("INFO", "werkzeug", "127.0.0.1 - - [09/Dec/2025 07:22:43] \"GET /web/login HTTP/1.1\" 200 -")]
    [InlineData("ERROR", "odoo.http", "Exception during request handling.")]
    [InlineData("INFO", "odoo.addons.queue_job.controllers.main", "job 76c3 postponed")]
    public void Other_records_are_no_event(string level, string logger, string message)
    {
        Assert.Null(Classify(level, logger, message));
    }

    private static string? Classify(string level, string logger, string message) =>
        LogEventClassifier.Classify(new LogRecordHeader(DateTimeOffset.UnixEpoch, 1, LogLevels.FromLevelName(level), "mydb", logger, message));
}
