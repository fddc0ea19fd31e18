using Dapper;
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

    // OCA's runner requires the trigger for all three events; so do we.
    private const string TriggerSql = """
        SELECT count(DISTINCT t.event_manipulation)
        FROM information_schema.triggers t
        WHERE t.trigger_name = 'queue_job_notify' AND t.event_object_table = 'queue_job'
        """;

    private const string LockTableSql = "SELECT to_regclass('queue_job_lock') IS NOT NULL";

    /// <summary>Detects the schema of the database <paramref name="connection"/> is open on.</summary>
    /// <exception cref="QueueJobTableMissingException">When the database has no queue_job table.</exception>
    public static async Task<QueueJobSchema> DetectAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var columns = (await connection.QueryAsync<(string Name, string Type)>(new CommandDefinition(ColumnsSql, cancellationToken: cancellationToken)))
            .ToDictionary(c => c.Name, c => NormaliseType(c.Type), StringComparer.Ordinal);
        if (columns.Count == 0)
        {
            throw new QueueJobTableMissingException(connection.Database);
        }

        var triggerEvents = await connection.ExecuteScalarAsync<long>(new CommandDefinition(TriggerSql, cancellationToken: cancellationToken));
        var hasLockTable = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(LockTableSql, cancellationToken: cancellationToken));
        return new QueueJobSchema(connection.Database, columns, triggerEvents >= 3, hasLockTable);
    }

    private static string NormaliseType(string type) => type switch
    {
        "character varying" => "varchar",
        _ when type.StartsWith("character varying(", StringComparison.Ordinal) => "varchar",
        _ => type,
    };
}
