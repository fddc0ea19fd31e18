using Npgsql;

namespace QueueExporter.QueueJob.Schema;

/// <summary>Reads which queue_job columns, trigger and lock table a database has (catalog queries only).</summary>
public static class SchemaDetector
{
    // to_regclass follows the search_path, as Odoo's unqualified table names do.
    private const string ColumnsSql = """
        SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type
        FROM pg_attribute a
        WHERE a.attrelid = to_regclass('queue_job') AND a.attnum > 0 AND NOT a.attisdropped
        """;

    // OCA's runner requires the trigger for all three events; so do we. pg_trigger, not
    // information_schema.triggers: the latter hides triggers from roles that may only read the table, so a
    // read-only monitoring role would see the trigger as missing. tgtype bits: INSERT 4, DELETE 8, UPDATE 16.
    private const string TriggerSql = """
        SELECT (COALESCE(bit_or(t.tgtype::int), 0) & 28) = 28
        FROM pg_catalog.pg_trigger t
        WHERE t.tgrelid = to_regclass('queue_job') AND t.tgname = 'queue_job_notify' AND t.tgenabled <> 'D'
        """;

    private const string LockTableSql = "SELECT to_regclass('queue_job_lock') IS NOT NULL";

    // By name, on this queue_job table, and valid: an interrupted concurrent build leaves an
    // invalid index that the planner never uses.
    private const string MonitoringIndexSql = """
        SELECT EXISTS (
            SELECT 1 FROM pg_catalog.pg_index i
            WHERE i.indexrelid = to_regclass(@name) AND i.indrelid = to_regclass('queue_job') AND i.indisvalid)
        """;

    /// <summary>Detects the schema of the database <paramref name="connection"/> is open on.</summary>
    /// <exception cref="QueueJobTableMissingException">When the database has no queue_job table.</exception>
    public static async Task<QueueJobSchema> DetectAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        // Plain Npgsql, not Dapper: the runner and scraper call this, and Dapper's generated readers cannot run in a Native AOT build.
        var columns = new Dictionary<string, string>(StringComparer.Ordinal);
        await using (var command = new NpgsqlCommand(ColumnsSql, connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                columns[reader.GetString(0)] = NormaliseType(reader.GetString(1));
            }
        }

        if (columns.Count == 0)
        {
            throw new QueueJobTableMissingException(connection.Database);
        }

        var hasTrigger = await IsTrueAsync(connection, TriggerSql, null, cancellationToken);
        var hasLockTable = await IsTrueAsync(connection, LockTableSql, null, cancellationToken);
        var hasMonitoringIndex = await IsTrueAsync(connection, MonitoringIndexSql, SchemaInstaller.MonitoringIndexName, cancellationToken);
        return new QueueJobSchema(connection.Database, columns, hasTrigger, hasLockTable, hasMonitoringIndex);
    }

    private static async Task<bool> IsTrueAsync(NpgsqlConnection connection, string sql, string? name, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        if (name is not null)
        {
            command.Parameters.Add(new NpgsqlParameter<string>("name", name));
        }

        return await command.ExecuteScalarAsync(cancellationToken) is true;
    }

    private static string NormaliseType(string type) => type switch
    {
        "character varying" => "varchar",
        _ when type.StartsWith("character varying(", StringComparison.Ordinal) => "varchar",
        _ => type,
    };
}
