namespace QueueExporter.Scraper.Logs;

/// <summary>
/// The prefix of one Odoo log record:
/// <c>%(asctime)s %(pid)s %(levelname)s %(dbname)s %(name)s: %(message)s</c>.
/// </summary>
/// <param name="Timestamp">The record's time; Odoo writes it without a zone, read as UTC.</param>
/// <param name="Pid">The process id that wrote the record.</param>
/// <param name="Level">The level, lower case and bounded (see <see cref="LogLevels"/>).</param>
/// <param name="Database">The database name, or <c>?</c> when the record has none.</param>
/// <param name="Logger">The Python logger name, e.g. <c>odoo.addons.queue_job.jobrunner.runner</c>.</param>
/// <param name="Message">The first line of the message.</param>
public sealed record LogRecordHeader(
    DateTimeOffset Timestamp,
    int Pid,
    string Level,
    string Database,
    string Logger,
    string Message);
