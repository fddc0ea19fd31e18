using Microsoft.Extensions.Logging;

namespace QueueExporter.Worker;

/// <summary>The worker's log lines; the wording of the controller's follows Odoo's so that existing log searches keep working.</summary>
internal static partial class WorkerLog
{
    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "was requested to run job {Uuid}, but it does not exist, or is not in state enqueued (db {Database}, state {State})")]
    public static partial void NotEnqueued(ILogger logger, string uuid, string database, string state);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Debug, Message = "running job {Uuid} {Function} on db {Database} (attempt {Attempt})")]
    public static partial void JobStarted(ILogger logger, string uuid, string function, string database, int attempt);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Information, Message = "job {Uuid} {Function} done on db {Database} in {Seconds:0.000} s")]
    public static partial void JobDone(ILogger logger, string uuid, string function, string database, double seconds);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Information, Message = "job {Uuid} {Function} postponed on db {Database} until {Eta:O} (attempt {Attempt}): {Reason}")]
    public static partial void JobPostponed(ILogger logger, string uuid, string function, string database, DateTimeOffset eta, int attempt, string reason);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Error, Message = "job {Uuid} {Function} failed on db {Database}: {ExceptionName}: {ExceptionMessage}")]
    public static partial void JobFailed(ILogger logger, string uuid, string function, string database, string exceptionName, string exceptionMessage, Exception? exception);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Warning, Message = "refused to run job {Uuid}: database {Database} is not one this worker serves")]
    public static partial void DatabaseNotServed(ILogger logger, string uuid, string database);

    [LoggerMessage(EventId = 4007, Level = LogLevel.Warning, Message = "job {Uuid} on db {Database} was interrupted by shutdown and put back to pending")]
    public static partial void JobRequeuedOnShutdown(ILogger logger, string uuid, string database);

    [LoggerMessage(EventId = 4008, Level = LogLevel.Error, Message = "could not run job {Uuid} on db {Database}: {Problem}")]
    public static partial void RunJobError(ILogger logger, string uuid, string database, string problem, Exception exception);

    [LoggerMessage(EventId = 4009, Level = LogLevel.Information, Message = "discovered {Count} database(s) with queue_job: {Names}")]
    public static partial void DatabasesDiscovered(ILogger logger, int count, string names);

    [LoggerMessage(EventId = 4010, Level = LogLevel.Information, Message = "serving db {Database} (queue_job {Shape}, lock table: {HasLockTable})")]
    public static partial void DatabaseReady(ILogger logger, string database, string shape, bool hasLockTable);

    [LoggerMessage(EventId = 4011, Level = LogLevel.Information, Message = "worker listening on {Address}, {Count} job function(s) registered")]
    public static partial void Listening(ILogger logger, string address, int count);

    [LoggerMessage(EventId = 4012, Level = LogLevel.Information, Message = "released {Count} dependent job(s) of {Uuid} on db {Database}")]
    public static partial void DependentsReleased(ILogger logger, int count, string uuid, string database);

    [LoggerMessage(EventId = 4013, Level = LogLevel.Warning, Message = "run of job {Uuid} {Function} on db {Database} lost: {Reason}; nothing written, the runner's rescue takes the job over")]
    public static partial void RunLost(ILogger logger, string uuid, string function, string database, string reason, Exception? exception);

    [LoggerMessage(EventId = 4014, Level = LogLevel.Debug, Message = "refused job {Uuid} on db {Database}: {Running} job(s) running, the most this worker runs at once")]
    public static partial void Busy(ILogger logger, string uuid, string database, int running);

    [LoggerMessage(EventId = 4016, Level = LogLevel.Warning, Message = "refused a runjob request with control characters in it (job_uuid {Uuid}, db {Database}; shown escaped)")]
    public static partial void MalformedRequest(ILogger logger, string uuid, string database);

    [LoggerMessage(EventId = 4015, Level = LogLevel.Information, Message = "retrying the start of job {Uuid} on db {Database} on a fresh connection: {Problem}")]
    public static partial void StartRetried(ILogger logger, string uuid, string database, string problem);
}
