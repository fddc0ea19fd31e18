using Npgsql;
using QueueExporter.QueueJob.Schema;

namespace QueueExporter.TestSupport;

/// <summary>
/// The queue_job tables of each Odoo generation, as a stock database of that version has them
/// (column sets from OCA/queue's models per branch). 14–17 is exactly what our installer creates;
/// the others are written out here so that detection is tested against tables we did not make.
/// </summary>
public static class QueueJobShapes
{
    private const string Trigger = """
        CREATE OR REPLACE FUNCTION queue_job_notify() RETURNS trigger AS $body$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                IF OLD.state != 'done' THEN
                    PERFORM pg_notify('queue_job', OLD.uuid);
                END IF;
            ELSE
                PERFORM pg_notify('queue_job', NEW.uuid);
            END IF;
            RETURN NULL;
        END;
        $body$ LANGUAGE plpgsql;
        CREATE TRIGGER queue_job_notify AFTER INSERT OR UPDATE OR DELETE ON queue_job
            FOR EACH ROW EXECUTE PROCEDURE queue_job_notify();
        """;

    /// <summary>12.0.1.x: record_ids, five states, no exception detail or timing columns.</summary>
    public const string Odoo12Old = """
        CREATE TABLE queue_job (
            id serial PRIMARY KEY, uuid varchar NOT NULL, user_id int4, company_id int4, name varchar,
            model_name varchar, method_name varchar, record_ids text, args text, kwargs text, func_string varchar,
            state varchar NOT NULL, priority int4, exc_info text, result text,
            date_created timestamp, date_started timestamp, date_enqueued timestamp, date_done timestamp,
            eta timestamp, retry int4, max_retries int4, channel_method_name varchar, job_function_id int4,
            channel varchar, create_uid int4, create_date timestamp, write_uid int4, write_date timestamp);
        CREATE INDEX queue_job_uuid_index ON queue_job (uuid);
        CREATE INDEX queue_job_state_index ON queue_job (state);
        CREATE INDEX queue_job_channel_index ON queue_job (channel);
        """ + Trigger;

    /// <summary>13.0: records, exception columns, exec_time; no graphs, no cancelled/wait_dependencies.</summary>
    public const string Odoo13 = """
        CREATE TABLE queue_job (
            id serial PRIMARY KEY, uuid varchar NOT NULL, user_id int4, company_id int4, name varchar,
            model_name varchar, method_name varchar, records text, args text, kwargs text, func_string varchar,
            state varchar NOT NULL, priority int4, exc_name varchar, exc_message varchar, exc_info text, result text,
            date_created timestamp, date_started timestamp, date_enqueued timestamp, date_done timestamp,
            exec_time float8, eta timestamp, retry int4, max_retries int4, channel_method_name varchar,
            job_function_id int4, channel varchar, identity_key varchar, worker_pid int4);
        CREATE INDEX queue_job_uuid_index ON queue_job (uuid);
        CREATE INDEX queue_job_state_index ON queue_job (state);
        CREATE INDEX queue_job_channel_index ON queue_job (channel);
        CREATE INDEX queue_job_company_id_index ON queue_job (company_id);
        """ + Trigger;

    /// <summary>18.0: the 14–17 table with jsonb arguments.</summary>
    public const string Odoo18Alterations = """
        ALTER TABLE queue_job
            ALTER COLUMN records TYPE jsonb USING records::jsonb,
            ALTER COLUMN args TYPE jsonb USING args::jsonb,
            ALTER COLUMN kwargs TYPE jsonb USING kwargs::jsonb;
        """;

    /// <summary>Creates the table of <paramref name="shape"/> in the connection's (empty) database.</summary>
    public static async Task CreateAsync(NpgsqlConnection connection, QueueJobShape shape)
    {
        ArgumentNullException.ThrowIfNull(connection);
        switch (shape)
        {
            case QueueJobShape.Odoo12Old:
                await ExecuteAsync(connection, Odoo12Old);
                break;
            case QueueJobShape.Odoo13:
                await ExecuteAsync(connection, Odoo13);
                break;
            case QueueJobShape.Odoo14To17:
                await SchemaInstaller.InstallAsync(connection, CancellationToken.None);
                break;
            case QueueJobShape.Odoo18:
                await SchemaInstaller.InstallAsync(connection, CancellationToken.None);
                await ExecuteAsync(connection, Odoo18Alterations);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(shape), shape, "no fixture for this shape");
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
