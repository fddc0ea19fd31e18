using Dapper;
using Npgsql;

namespace QueueExporter.QueueJob.Schema;

/// <summary>
/// Creates the queue_job table in its 16.0/17.0 shape, with <c>queue_job_lock</c>, the indexes a stock
/// Odoo database has, and the <c>queue_job_notify</c> trigger, for applications that are not Odoo.
/// Idempotent and safe to run concurrently: every statement is IF NOT EXISTS / OR REPLACE, and a
/// transaction-scoped advisory lock serialises concurrent installers.
/// </summary>
public static class SchemaInstaller
{
    // Any constant distinct from the runner's leader key; only installers take it.
    private const long InstallLockKey = 7_463_110_225_913_201_771;

    /// <summary>The DDL, exposed so that operators can review it (<c>schema install --print</c>).</summary>
    public const string Ddl = """
        CREATE TABLE IF NOT EXISTS queue_job (
            id serial PRIMARY KEY,
            uuid varchar NOT NULL,
            graph_uuid varchar,
            user_id int4,
            company_id int4,
            name varchar,
            model_name varchar,
            method_name varchar,
            records text,
            args text,
            kwargs text,
            func_string varchar,
            dependencies text,
            state varchar NOT NULL,
            priority int4,
            exc_name varchar,
            exc_message varchar,
            exc_info text,
            result text,
            date_created timestamp without time zone,
            date_started timestamp without time zone,
            date_enqueued timestamp without time zone,
            date_done timestamp without time zone,
            date_cancelled timestamp without time zone,
            exec_time float8,
            eta timestamp without time zone,
            retry int4,
            max_retries int4,
            channel_method_name varchar,
            job_function_id int4,
            channel varchar,
            identity_key varchar,
            worker_pid int4
        );
        CREATE INDEX IF NOT EXISTS queue_job_uuid_index ON queue_job (uuid);
        CREATE INDEX IF NOT EXISTS queue_job_graph_uuid_index ON queue_job (graph_uuid);
        CREATE INDEX IF NOT EXISTS queue_job_company_id_index ON queue_job (company_id);
        CREATE INDEX IF NOT EXISTS queue_job_state_index ON queue_job (state);
        CREATE INDEX IF NOT EXISTS queue_job_channel_index ON queue_job (channel);
        CREATE UNIQUE INDEX IF NOT EXISTS queue_job_identity_key_state_partial_index
            ON queue_job (identity_key)
            WHERE state IN ('pending', 'enqueued', 'wait_dependencies') AND identity_key IS NOT NULL;

        CREATE TABLE IF NOT EXISTS queue_job_lock (
            id serial PRIMARY KEY,
            queue_job_id int4 NOT NULL REFERENCES queue_job (id) ON DELETE CASCADE,
            create_uid int4,
            create_date timestamp without time zone,
            write_uid int4,
            write_date timestamp without time zone
        );
        CREATE INDEX IF NOT EXISTS queue_job_lock_queue_job_id_index ON queue_job_lock (queue_job_id);

        CREATE OR REPLACE FUNCTION queue_job_notify() RETURNS trigger AS $body$
        BEGIN
            -- The payload is the uuid only; a deleted done job is of no interest to a runner.
            IF TG_OP = 'DELETE' THEN
                IF OLD.state <> 'done' THEN
                    PERFORM pg_notify('queue_job', OLD.uuid);
                END IF;
            ELSE
                PERFORM pg_notify('queue_job', NEW.uuid);
            END IF;
            RETURN NULL;
        END;
        $body$ LANGUAGE plpgsql;

        DROP TRIGGER IF EXISTS queue_job_notify ON queue_job;
        CREATE TRIGGER queue_job_notify
            AFTER INSERT OR UPDATE OR DELETE ON queue_job
            FOR EACH ROW EXECUTE PROCEDURE queue_job_notify();
        """;

    /// <summary>Name of the optional index for monitoring (<see cref="MonitoringIndexDdl"/>), by which the scraper detects it.</summary>
    public const string MonitoringIndexName = "queue_job_monitoring_index";

    /// <summary>
    /// The optional index for monitoring: the unfinished rows only (done and cancelled are most of a
    /// table and never read by the frequent refresh), keyed by state and channel and covering the
    /// columns the refresh reads, so that its counts and ages are an index-only scan whose size
    /// follows the unfinished and failed rows, not the table's history. Every table generation
    /// since 12.0 has these columns. Not part of <see cref="Ddl"/>: Odoo does not create it, and a
    /// DBA decides whether its write cost (each state change moves an entry) is worth it. Built
    /// CONCURRENTLY: on a production table a plain build would block Odoo's writes for its duration.
    /// </summary>
    public const string MonitoringIndexDdl = """
        CREATE INDEX CONCURRENTLY IF NOT EXISTS queue_job_monitoring_index
            ON queue_job (state, channel) INCLUDE (date_created, eta, date_enqueued, date_started)
            WHERE state NOT IN ('done', 'cancelled');
        """;

    /// <summary>Installs (or completes) the schema in the connection's database, in one transaction.</summary>
    public static async Task InstallAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_xact_lock(@key)", new { key = InstallLockKey }, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(Ddl, transaction: transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// Creates the optional monitoring index (<see cref="MonitoringIndexDdl"/>) on the connection's
    /// existing queue_job table, outside any transaction (a concurrent build cannot run in one). An
    /// invalid index left by an interrupted build is dropped and built again: IF NOT EXISTS alone
    /// would keep it, and the planner never uses an invalid index.
    /// </summary>
    public static async Task InstallMonitoringIndexAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var invalid = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_index WHERE indexrelid = to_regclass(@name) AND NOT indisvalid)",
            new { name = MonitoringIndexName },
            cancellationToken: cancellationToken));
        if (invalid)
        {
            await connection.ExecuteAsync(new CommandDefinition($"DROP INDEX CONCURRENTLY IF EXISTS \"{MonitoringIndexName}\"", cancellationToken: cancellationToken));
        }

        // Bounded, but long enough for a build on a table of tens of millions of rows.
        await connection.ExecuteAsync(new CommandDefinition(MonitoringIndexDdl, commandTimeout: 3600, cancellationToken: cancellationToken));
    }
}
