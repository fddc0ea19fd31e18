using Dapper;
using Npgsql;
using NpgsqlTypes;
using QueueExporter.QueueJob.Schema;
using QueueExporter.QueueJob.Time;

namespace QueueExporter.QueueJob.Enqueue;

/// <summary>
/// Adds jobs the way Odoo's <c>with_delay()</c> does: one row per job in state pending (or
/// wait_dependencies), date_created now in naive UTC, and the columns this database's generation has.
/// Pass a transaction to make the jobs part of the caller's own unit of work: the trigger's NOTIFY is
/// delivered only when that transaction commits, so a runner never sees a job that was rolled back.
/// </summary>
public sealed class JobEnqueuer
{
    private readonly QueueJobSchema _schema;
    private readonly TimeProvider _clock;

    /// <summary>An enqueuer for one database, whose schema the caller detected.</summary>
    public JobEnqueuer(QueueJobSchema schema, TimeProvider? clock = null)
    {
        _schema = schema ?? throw new ArgumentNullException(nameof(schema));
        _clock = clock ?? TimeProvider.System;
    }

    /// <summary>Adds one job and returns its uuid.</summary>
    public async Task<string> EnqueueAsync(NpgsqlConnection connection, NewJob job, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        var uuids = await EnqueueManyAsync(connection, [job], transaction, cancellationToken);
        return uuids[0];
    }

    /// <summary>
    /// The uuids among <paramref name="uuids"/> that name no job in this database: a job that depends
    /// on one of them would wait for ever (or, worse, be released at once), so callers refuse them first.
    /// </summary>
    public static async Task<IReadOnlyList<string>> FindMissingAsync(NpgsqlConnection connection, IReadOnlyCollection<string> uuids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(uuids);
        if (uuids.Count == 0)
        {
            return [];
        }

        var found = await connection.QueryAsync<string>(
            new CommandDefinition("SELECT uuid FROM queue_job WHERE uuid = ANY(@uuids)", new { uuids = uuids.ToArray() }, cancellationToken: cancellationToken));
        var existing = found.ToHashSet(StringComparer.Ordinal);
        return uuids.Where(uuid => !existing.Contains(uuid)).ToList();
    }

    /// <summary>
    /// Adds many jobs in one statement (an <c>INSERT ... SELECT FROM unnest(...)</c>), returning their
    /// uuids in input order. Jobs with dependencies also record themselves in their parents'
    /// <c>reverse_depends_on</c>, as Odoo's job graphs do.
    /// </summary>
    public async Task<IReadOnlyList<string>> EnqueueManyAsync(NpgsqlConnection connection, IReadOnlyList<NewJob> jobs, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(jobs);
        if (jobs.Count == 0)
        {
            return [];
        }

        var hasDependencies = jobs.Any(j => j.DependsOn.Count > 0);
        if (hasDependencies && !_schema.HasColumn("dependencies"))
        {
            throw new NotSupportedException($"database \"{_schema.Database}\" has no job dependencies (queue_job {_schema.Shape}): cannot enqueue a job with DependsOn");
        }

        var uuids = jobs.Select(j => j.Uuid ?? Guid.NewGuid().ToString("D")).ToArray();
        var columns = BuildColumns(jobs, uuids);

        var ownTransaction = transaction is null && hasDependencies ? await connection.BeginTransactionAsync(cancellationToken) : null;
        try
        {
            await InsertAsync(connection, columns, transaction ?? ownTransaction, cancellationToken);
            if (hasDependencies)
            {
                await LinkParentsAsync(connection, jobs, uuids, transaction ?? ownTransaction, cancellationToken);
            }

            if (ownTransaction is not null)
            {
                await ownTransaction.CommitAsync(cancellationToken);
            }
        }
        finally
        {
            if (ownTransaction is not null)
            {
                await ownTransaction.DisposeAsync();
            }
        }

        return uuids;
    }

    private List<InsertColumn> BuildColumns(IReadOnlyList<NewJob> jobs, string[] uuids)
    {
        var now = DbTime.Now(_clock);
        var jsonType = _schema.ArgumentsAreJsonb ? "jsonb" : "text";
        var all = new List<InsertColumn>
        {
            new("uuid", "text", NpgsqlDbType.Array | NpgsqlDbType.Text, uuids),
            new("name", "text", NpgsqlDbType.Array | NpgsqlDbType.Text, jobs.Select(j => j.Description ?? j.FuncString).ToArray()),
            new("model_name", "text", NpgsqlDbType.Array | NpgsqlDbType.Text, jobs.Select(j => j.ModelName).ToArray()),
            new("method_name", "text", NpgsqlDbType.Array | NpgsqlDbType.Text, jobs.Select(j => j.MethodName).ToArray()),
            new("func_string", "text", NpgsqlDbType.Array | NpgsqlDbType.Text, jobs.Select(j => j.FuncString).ToArray()),
            new("channel_method_name", "text", NpgsqlDbType.Array | NpgsqlDbType.Text, jobs.Select(j => $"<{j.ModelName}>.{j.MethodName}").ToArray()),
            new("records", jsonType, NpgsqlDbType.Array | NpgsqlDbType.Text, jobs.Select(j => RecordsJson(j.ModelName)).ToArray()),
            new("record_ids", "text", NpgsqlDbType.Array | NpgsqlDbType.Text, jobs.Select(_ => "[]").ToArray()),
            new("args", jsonType, NpgsqlDbType.Array | NpgsqlDbType.Text, jobs.Select(j => j.ArgsJson).ToArray()),
            new("kwargs", jsonType, NpgsqlDbType.Array | NpgsqlDbType.Text, jobs.Select(j => j.KwargsJson).ToArray()),
            new("state", "text", NpgsqlDbType.Array | NpgsqlDbType.Text, jobs.Select(j => j.DependsOn.Count > 0 ? JobStates.WaitDependencies : JobStates.Pending).ToArray()),
            new("priority", "int4", NpgsqlDbType.Array | NpgsqlDbType.Integer, jobs.Select(j => j.Priority).ToArray()),
            new("date_created", "timestamp", NpgsqlDbType.Array | NpgsqlDbType.Timestamp, jobs.Select(_ => now).ToArray()),
            new("eta", "timestamp", NpgsqlDbType.Array | NpgsqlDbType.Timestamp, jobs.Select(j => j.Eta is { } eta ? (DateTime?)DbTime.ToDb(eta) : null).ToArray()),
            new("retry", "int4", NpgsqlDbType.Array | NpgsqlDbType.Integer, jobs.Select(_ => 0).ToArray()),
            new("max_retries", "int4", NpgsqlDbType.Array | NpgsqlDbType.Integer, jobs.Select(j => j.MaxRetries).ToArray()),
            new("channel", "text", NpgsqlDbType.Array | NpgsqlDbType.Text, jobs.Select(j => j.FullChannel).ToArray()),
            new("identity_key", "text", NpgsqlDbType.Array | NpgsqlDbType.Text, jobs.Select(j => j.IdentityKey).ToArray()),
            new("dependencies", "text", NpgsqlDbType.Array | NpgsqlDbType.Text, jobs.Select(j => DependenciesJson(j.DependsOn)).ToArray()),
            new("graph_uuid", "text", NpgsqlDbType.Array | NpgsqlDbType.Text, jobs.Select(j => j.DependsOn.Count > 0 ? j.DependsOn[0] : null).ToArray()),
        };
        return all.Where(c => _schema.HasColumn(c.Name)).ToList();
    }

    private static async Task InsertAsync(NpgsqlConnection connection, List<InsertColumn> columns, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        var names = string.Join(", ", columns.Select(c => "\"" + c.Name + "\""));
        var casts = string.Join(", ", columns.Select((c, i) => c.SqlType == "jsonb" ? $"c{i}::jsonb" : $"c{i}"));
        var sources = string.Join(", ", columns.Select((_, i) => $"@p{i}"));
        var aliases = string.Join(", ", columns.Select((_, i) => $"c{i}"));
        var sql = $"INSERT INTO queue_job ({names}) SELECT {casts} FROM unnest({sources}) AS t({aliases})";

        await using var command = new NpgsqlCommand(sql, connection, transaction);
        for (var i = 0; i < columns.Count; i++)
        {
            command.Parameters.Add(new NpgsqlParameter($"p{i}", columns[i].DbType) { Value = columns[i].Values });
        }

        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task LinkParentsAsync(NpgsqlConnection connection, IReadOnlyList<NewJob> jobs, string[] uuids, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        // Record each child in its parents' reverse_depends_on, then release children whose parents are all done already.
        const string Link = """
            UPDATE queue_job SET dependencies = jsonb_set(
                COALESCE(NULLIF(dependencies, '')::jsonb, '{"depends_on": [], "reverse_depends_on": []}'::jsonb),
                '{reverse_depends_on}',
                COALESCE(NULLIF(dependencies, '')::jsonb -> 'reverse_depends_on', '[]'::jsonb) || to_jsonb(@child::text))::text
            WHERE uuid = ANY(@parents)
            """;
        const string Release = """
            UPDATE queue_job SET state = 'pending'
            WHERE uuid = @child AND state = 'wait_dependencies'
              AND NOT EXISTS (SELECT 1 FROM queue_job p WHERE p.uuid = ANY(@parents) AND p.state <> 'done')
            """;
        for (var i = 0; i < jobs.Count; i++)
        {
            if (jobs[i].DependsOn.Count == 0)
            {
                continue;
            }

            var args = new { child = uuids[i], parents = jobs[i].DependsOn.ToArray() };
            await connection.ExecuteAsync(new CommandDefinition(Link, args, transaction, cancellationToken: cancellationToken));
            await connection.ExecuteAsync(new CommandDefinition(Release, args, transaction, cancellationToken: cancellationToken));
        }
    }

    private static string RecordsJson(string model) =>
        System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object> { ["_type"] = "odoo_recordset", ["model"] = model, ["ids"] = Array.Empty<int>(), ["uid"] = 1, ["su"] = false });

    private static string DependenciesJson(IReadOnlyList<string> dependsOn) =>
        System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, IReadOnlyList<string>> { ["depends_on"] = dependsOn, ["reverse_depends_on"] = [] });

    private sealed record InsertColumn(string Name, string SqlType, NpgsqlDbType DbType, Array Values);
}
