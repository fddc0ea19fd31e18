using QueueExporter.QueueJob.Schema;

namespace QueueExporter.Benchmarks.Rig;

/// <summary>
/// Writes the scrape scenario's queue_job tables quickly, server-side: history rows (1 % failed,
/// 4 % cancelled, the rest done, over 50 channels, the kind of payload Odoo writes), then the active
/// set (the newest rows, as in a live table: 60 % pending, 1 in 50 of them with a future eta,
/// 10 % enqueued, 20 % started, 10 % wait_dependencies). The table is unlogged and without its
/// secondary indexes while rows go in (a bulk build is far cheaper than maintaining six indexes row
/// by row), then made logged, indexed with the installer's own DDL and vacuumed, so that what is
/// measured is an ordinary durable table with the stock indexes and a set visibility map.
/// </summary>
internal static class ScrapeTableFiller
{
    private const string Payload = """
        'Confirm sale order', 'sale.order', 'action_confirm', 'sale.order(' || g || ',).action_confirm()', '<sale.order>.action_confirm',
        '{"_type": "odoo_recordset", "model": "sale.order", "ids": [' || g || '], "uid": 2, "su": false, "context": {"lang": "en_US", "tz": "Europe/Brussels"}}',
        '[]', '{}', 10, 0, 5, 1, 2
        """;

    private const string Columns = "uuid, name, model_name, method_name, func_string, channel_method_name, records, args, kwargs, priority, retry, max_retries, company_id, user_id, state, channel, date_created, date_enqueued, date_started, date_done, exec_time, eta, exc_name, exc_message, exc_info, result";

    public static async Task FillAsync(BenchmarkCluster cluster, string database, int historyRows, int activeRows)
    {
        await using var connection = await cluster.OpenAsync(database);
        // queue_job_lock references queue_job, and a logged table may not reference an unlogged one;
        // the installer's DDL below creates it again.
        await ExecuteAsync(connection, """
            DROP TABLE queue_job_lock;
            DROP INDEX queue_job_uuid_index, queue_job_graph_uuid_index, queue_job_company_id_index,
                       queue_job_state_index, queue_job_channel_index, queue_job_identity_key_state_partial_index;
            ALTER TABLE queue_job SET UNLOGGED;
            ALTER TABLE queue_job DISABLE TRIGGER queue_job_notify;
            """);
        // One job every 100 ms of history, ending where the active set begins.
        await ExecuteAsync(connection, $$"""
            INSERT INTO queue_job ({{Columns}})
            SELECT gen_random_uuid()::text, {{Payload}}, s.state, 'root.c' || (g % 50),
                   t, t + interval '1 second', t + interval '2 seconds', t + interval '3 seconds', 1.0, NULL,
                   CASE WHEN s.state = 'failed' THEN 'odoo.exceptions.UserError' END,
                   CASE WHEN s.state = 'failed' THEN 'There is nothing to confirm on order ' || g END,
                   CASE WHEN s.state = 'failed' THEN repeat('Traceback (most recent call last): File "/odoo/addons/queue_job/job.py", line 465, in perform ', 8) END,
                   CASE WHEN s.state = 'done' THEN 'Order ' || g || ' confirmed' END
            FROM generate_series(1, {{historyRows}}) AS g,
                 LATERAL (SELECT (now() AT TIME ZONE 'utc') - interval '1 hour' - ({{historyRows}} - g) * interval '100 milliseconds' AS t,
                                 CASE WHEN g % 100 = 0 THEN 'failed' WHEN g % 100 < 5 THEN 'cancelled' ELSE 'done' END AS state) AS s
            """);
        await InsertActiveAsync(connection, activeRows, allPending: false);
        await ExecuteAsync(connection, "ALTER TABLE queue_job SET LOGGED");
        await ExecuteAsync(connection, "SET maintenance_work_mem = '512MB';\n" + SchemaInstaller.Ddl);
        await ExecuteAsync(connection, "VACUUM ANALYZE queue_job");
    }

    /// <summary>Adds <paramref name="pending"/> runnable pending jobs (the newest rows), through the stock indexes, and vacuums.</summary>
    public static async Task AddBacklogAsync(BenchmarkCluster cluster, string database, int pending)
    {
        await using var connection = await cluster.OpenAsync(database);
        await ExecuteAsync(connection, "ALTER TABLE queue_job DISABLE TRIGGER queue_job_notify");
        await InsertActiveAsync(connection, pending, allPending: true);
        await ExecuteAsync(connection, "ALTER TABLE queue_job ENABLE TRIGGER queue_job_notify");
        await ExecuteAsync(connection, "VACUUM ANALYZE queue_job");
    }

    private static async Task InsertActiveAsync(Npgsql.NpgsqlConnection connection, int rows, bool allPending)
    {
        var state = allPending
            ? "'pending'"
            : "CASE WHEN g % 10 < 6 THEN 'pending' WHEN g % 10 = 6 THEN 'enqueued' WHEN g % 10 < 9 THEN 'started' ELSE 'wait_dependencies' END";
        await ExecuteAsync(connection, $$"""
            INSERT INTO queue_job ({{Columns}})
            SELECT gen_random_uuid()::text, {{Payload}}, s.state, 'root.c' || (g % 50),
                   t,
                   CASE WHEN s.state IN ('enqueued', 'started') THEN t + interval '1 second' END,
                   CASE WHEN s.state = 'started' THEN t + interval '2 seconds' END,
                   NULL, NULL,
                   CASE WHEN s.state = 'pending' AND g % 50 = 0 THEN t + interval '1 hour' END,
                   NULL, NULL, NULL, NULL
            FROM generate_series(1, {{rows}}) AS g,
                 LATERAL (SELECT (now() AT TIME ZONE 'utc') - ({{rows}} - g) * interval '10 milliseconds' AS t, {{state}} AS state) AS s
            """);
    }

    // Ten million rows and their indexes take minutes on a loaded machine: a longer bound than the harness's 10 min.
    private static async Task ExecuteAsync(Npgsql.NpgsqlConnection connection, string sql)
    {
        await using var command = new Npgsql.NpgsqlCommand(sql, connection) { CommandTimeout = 3600 };
        await command.ExecuteNonQueryAsync();
    }
}
