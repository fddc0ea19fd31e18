namespace QueueExporter.QueueJob.Schema;

/// <summary>The database has no <c>queue_job</c> table: queue_job is not installed there.</summary>
public sealed class QueueJobTableMissingException : Exception
{
    /// <summary>Names the database that lacks the table.</summary>
    public QueueJobTableMissingException(string database)
        : base($"database \"{database}\" has no queue_job table (is the queue_job addon installed? `queue-exporter schema install` creates one)")
    {
        Database = database;
    }

    /// <summary>The database without the table.</summary>
    public string Database { get; }
}
