using Microsoft.Extensions.Logging;

namespace QueueExporter.Runner;

/// <summary>
/// The runner's log lines. At INFO and above the texts are OCA's own (queue_job.md, "Log lines"), so
/// log-based tooling written for OCA's runner keeps matching.
/// </summary>
internal static partial class RunnerLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "starting")]
    public static partial void Starting(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "initializing database connections")]
    public static partial void InitializingConnections(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "database connections ready")]
    public static partial void ConnectionsReady(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "queue job runner ready for db {Database}")]
    public static partial void ReadyForDb(ILogger logger, string database);

    [LoggerMessage(Level = LogLevel.Information, Message = "Configured channel: {Channel}")]
    public static partial void ConfiguredChannel(ILogger logger, string channel);

    [LoggerMessage(Level = LogLevel.Warning, Message = "channel {Channel}: ignoring unknown option(s) {Keys}")]
    public static partial void IgnoredChannelKeys(ILogger logger, string channel, string keys);

    [LoggerMessage(Level = LogLevel.Information, Message = "asking Odoo to run job {Uuid} on db {Database}")]
    public static partial void AskingToRun(ILogger logger, string uuid, string database);

    [LoggerMessage(Level = LogLevel.Debug, Message = "db {Database}: opening a pooled connection ahead of its first use failed ({Reason}); that use opens its own")]
    public static partial void WarmUpFailed(ILogger logger, string database, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "opening a connection for {Url} ahead of the first runjob call failed ({Reason}); the call connects itself")]
    public static partial void WorkerWarmUpFailed(ILogger logger, string url, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "graceful stop requested")]
    public static partial void StopRequested(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "stopped")]
    public static partial void Stopped(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "another runner holds the leader lock on db {Database}: standing by")]
    public static partial void Standby(ILogger logger, string database);

    [LoggerMessage(Level = LogLevel.Warning, Message = "state of job {Uuid} was reset from {From} to {To}")]
    public static partial void StateReset(ILogger logger, string uuid, string from, string to);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Re-queued dead job with uuid: {Uuid}")]
    public static partial void RequeuedDeadJob(ILogger logger, string uuid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "dead job {Uuid} on db {Database} exhausted its retries: failed as JobFoundDead")]
    public static partial void FailedDeadJob(ILogger logger, string uuid, string database);

    [LoggerMessage(Level = LogLevel.Error, Message = "exception in GET {Url}")]
    public static partial void ExceptionInGet(ILogger logger, Exception exception, string url);

    [LoggerMessage(Level = LogLevel.Information, Message = "worker refused job {Uuid} on db {Database} (503: full or stopping); it goes back to pending")]
    public static partial void WorkerRefused(ILogger logger, string uuid, string database);

    [LoggerMessage(Level = LogLevel.Error, Message = "exception: sleeping {Seconds}s and retrying")]
    public static partial void SleepingAndRetrying(ILogger logger, Exception exception, int seconds);

    // OCA's line again, without the stack already logged for the same failure: a server down for hours
    // would otherwise fill the log with one identical stack every few seconds.
    [LoggerMessage(Level = LogLevel.Error, Message = "exception: sleeping {Seconds}s and retrying")]
    public static partial void SleepingAndRetryingAgain(ILogger logger, int seconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "queue_job_notify trigger is missing in db {Database}")]
    public static partial void TriggerMissing(ILogger logger, string database);

    [LoggerMessage(Level = LogLevel.Error, Message = "db {Database}: {Reason}")]
    public static partial void DatabaseError(ILogger logger, string database, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "db {Database}: the leader lock is no longer held by this runner's session; ending the lease")]
    public static partial void LeaseLost(ILogger logger, string database);

    [LoggerMessage(Level = LogLevel.Warning, Message = "db {Database}: queue_job row id {Id} {Reason}: counted in queue_runner_skipped_rows_total")]
    public static partial void SkippedRow(ILogger logger, string database, long id, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "db {Database}: serving this database failed; restarting in {RetrySeconds:0.0} s")]
    public static partial void DatabaseFailed(ILogger logger, Exception exception, string database, double retrySeconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "db {Database}: serving this database failed again ({Reason}); restarting in {RetrySeconds:0.0} s")]
    public static partial void DatabaseFailedAgain(ILogger logger, string database, string reason, double retrySeconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "databases on the server changed: serving {Added} new, stopping {Removed} gone")]
    public static partial void DatabasesChanged(ILogger logger, int added, int removed);

    [LoggerMessage(Level = LogLevel.Error, Message = "listing the server's databases failed; trying again in {RetrySeconds:0} s")]
    public static partial void DiscoveryFailed(ILogger logger, Exception exception, double retrySeconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "db {Database}: handing over to another replica ({Writes} fenced writes in flight)")]
    public static partial void HandingOver(ILogger logger, string database, int writes);

    [LoggerMessage(Level = LogLevel.Information, Message = "fleet: joined as replica slot {Slot}")]
    public static partial void FleetJoined(ILogger logger, int slot);

    [LoggerMessage(Level = LogLevel.Information, Message = "fleet: {Members} live replicas ({Slots}); this one (slot {Slot}) should lead {Assigned} of {Databases} databases")]
    public static partial void FleetChanged(ILogger logger, int members, string slots, int slot, int assigned, int databases);

    [LoggerMessage(Level = LogLevel.Warning, Message = "fleet: all {Slots} replica slots are taken; trying again in {RetrySeconds:0} s")]
    public static partial void FleetFull(ILogger logger, int slots, double retrySeconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "fleet: the membership session failed; keeping the databases led now, reconnecting in {RetrySeconds:0.0} s")]
    public static partial void FleetFailed(ILogger logger, Exception exception, double retrySeconds);

    [LoggerMessage(Level = LogLevel.Debug, Message = "db {Database}: a job whose re-read waited was no longer running; re-reading every notification at once until the next lease")]
    public static partial void StartedReadsAtOnce(ILogger logger, string database);
}
