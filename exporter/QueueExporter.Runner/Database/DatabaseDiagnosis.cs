using Npgsql;

namespace QueueExporter.Runner.Database;

/// <summary>
/// Why a database cannot be served, found before taking its leader lock, from the catalogs (never
/// information_schema, which hides what a role cannot change: a read-only role would see no trigger).
/// Checked in order so that the line names the first real cause: no table, wrong shape, missing rights,
/// missing trigger. OCA's runner would only say "trigger missing" for all of them.
/// </summary>
internal static class DatabaseDiagnosis
{
    // The columns JobRowReader reads and the dispatch writes: every supported generation has them.
    private static readonly string[] RequiredColumns = ["id", "uuid", "state", "channel", "priority", "date_created", "date_enqueued", "eta"];

    // pg_trigger.tgtype bits: INSERT 1<<2, DELETE 1<<3, UPDATE 1<<4 (OCA's trigger fires on all three).
    private const int AllEvents = 4 | 8 | 16;

    private const string Sql = """
        WITH t AS (SELECT to_regclass('queue_job') AS oid)
        SELECT t.oid IS NOT NULL,
               ARRAY(SELECT a.attname::text FROM pg_catalog.pg_attribute a WHERE a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped),
               t.oid IS NOT NULL AND has_table_privilege(t.oid, 'SELECT'),
               t.oid IS NOT NULL AND has_table_privilege(t.oid, 'UPDATE'),
               COALESCE((SELECT bit_or(g.tgtype::int) FROM pg_catalog.pg_trigger g
                         WHERE g.tgrelid = t.oid AND g.tgname = 'queue_job_notify' AND g.tgenabled <> 'D'), 0),
               current_user::text
        FROM t
        """;

    /// <summary>Null when the database can be served, else one line naming the cause.</summary>
    public static async Task<string?> FindProblemAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(Sql, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return Describe(reader.GetBoolean(0), reader.GetFieldValue<string[]>(1), reader.GetBoolean(2), reader.GetBoolean(3), reader.GetInt32(4), reader.GetString(5));
    }

    /// <summary>The pure decision, given what the catalogs said.</summary>
    public static string? Describe(bool hasTable, IReadOnlyCollection<string> columns, bool canSelect, bool canUpdate, int triggerEvents, string role)
    {
        if (!hasTable)
        {
            return "no queue_job table (is the queue_job addon installed in this database?)";
        }

        var missing = RequiredColumns.Where(c => !columns.Contains(c)).ToList();
        if (missing.Count > 0)
        {
            return $"queue_job has the wrong shape: no column {string.Join(", ", missing)}";
        }

        if (!canSelect || !canUpdate)
        {
            return $"role {role} lacks {(canSelect ? "UPDATE" : canUpdate ? "SELECT" : "SELECT and UPDATE")} on queue_job (the runner reads and marks jobs)";
        }

        if ((triggerEvents & AllEvents) != AllEvents)
        {
            return "queue_job_notify trigger is missing";
        }

        return null;
    }
}
