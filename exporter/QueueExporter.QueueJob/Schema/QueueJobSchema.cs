using System.Collections.Frozen;

namespace QueueExporter.QueueJob.Schema;

/// <summary>
/// What one database's queue_job table has. Readers ask <see cref="HasColumn"/> before they select a
/// column, so one code path serves every Odoo version and degrades where a column is missing;
/// <see cref="Unavailable"/> says in words what that costs.
/// </summary>
public sealed class QueueJobSchema
{
    private static readonly (string Column, string Consequence)[] OptionalColumns =
    [
        ("exc_name", "exception class per failure (failures counted as 'other')"),
        ("exc_message", "failure messages"),
        ("exec_time", "execution time column (computed from date_done - date_started)"),
        ("worker_pid", "worker pid of started jobs"),
        ("date_cancelled", "cancellation time"),
        ("graph_uuid", "job graphs"),
        ("dependencies", "job dependencies (wait_dependencies)"),
        ("date_started", "start time (started ages and wait times)"),
        ("date_done", "completion time (durations)"),
        ("eta", "eta (every pending job counts as runnable)"),
        ("identity_key", "job deduplication keys"),
    ];

    /// <summary>Builds the facts from the detected columns and objects.</summary>
    public QueueJobSchema(
        string database,
        IReadOnlyDictionary<string, string> columnTypes,
        bool hasNotifyTrigger,
        bool hasLockTable,
        bool hasMonitoringIndex = false)
    {
        ArgumentNullException.ThrowIfNull(columnTypes);
        Database = database;
        ColumnTypes = columnTypes.ToFrozenDictionary(StringComparer.Ordinal);
        HasNotifyTrigger = hasNotifyTrigger;
        HasLockTable = hasLockTable;
        HasMonitoringIndex = hasMonitoringIndex;
        Shape = Classify(ColumnTypes);
        States = Shape is QueueJobShape.Odoo12Old or QueueJobShape.Odoo12 or QueueJobShape.Odoo13 ? JobStates.Classic : JobStates.All;
        Unavailable = DescribeUnavailable();
    }

    /// <summary>The database these facts describe.</summary>
    public string Database { get; }

    /// <summary>Column name to SQL type (as <c>format_type</c> prints it).</summary>
    public IReadOnlyDictionary<string, string> ColumnTypes { get; }

    /// <summary>The generation the columns match.</summary>
    public QueueJobShape Shape { get; }

    /// <summary>The states this generation can hold.</summary>
    public IReadOnlyList<string> States { get; }

    /// <summary>Whether the <c>queue_job_notify</c> trigger exists for insert, update and delete.</summary>
    public bool HasNotifyTrigger { get; }

    /// <summary>Whether <c>queue_job_lock</c> exists (dead-job detection by row locks, 2025+).</summary>
    public bool HasLockTable { get; }

    /// <summary>Whether the optional, valid <see cref="SchemaInstaller.MonitoringIndexName"/> exists (an index-only refresh for the scraper).</summary>
    public bool HasMonitoringIndex { get; }

    /// <summary>Whether records/args/kwargs are jsonb (18.0) rather than text.</summary>
    public bool ArgumentsAreJsonb => ColumnTypes.TryGetValue("args", out var type) && type == "jsonb";

    /// <summary>Lines naming what this database cannot provide and what that costs; empty when complete.</summary>
    public IReadOnlyList<string> Unavailable { get; }

    /// <summary>Whether the table has a column of that name.</summary>
    public bool HasColumn(string column) => ColumnTypes.ContainsKey(column);

    private static QueueJobShape Classify(IReadOnlyDictionary<string, string> columns)
    {
        if (!columns.ContainsKey("uuid") || !columns.ContainsKey("state"))
        {
            return QueueJobShape.Unknown;
        }

        if (columns.ContainsKey("record_ids") && !columns.ContainsKey("records"))
        {
            return columns.ContainsKey("exc_name") ? QueueJobShape.Odoo12 : QueueJobShape.Odoo12Old;
        }

        if (!columns.ContainsKey("graph_uuid") && !columns.ContainsKey("dependencies"))
        {
            return QueueJobShape.Odoo13;
        }

        return columns.TryGetValue("args", out var argsType) && argsType == "jsonb" ? QueueJobShape.Odoo18 : QueueJobShape.Odoo14To17;
    }

    private List<string> DescribeUnavailable()
    {
        var lines = new List<string>();
        foreach (var (column, consequence) in OptionalColumns)
        {
            if (!HasColumn(column))
            {
                lines.Add($"column {column} is missing: no {consequence}");
            }
        }

        if (!HasNotifyTrigger)
        {
            lines.Add("trigger queue_job_notify is missing: no change notifications, changes are found by polling only");
        }

        if (!HasLockTable)
        {
            lines.Add("table queue_job_lock is missing: dead jobs are detected by a timeout instead of row locks");
        }

        return lines;
    }
}
