using System.Data;
using System.Text;
using Npgsql;
using NpgsqlTypes;
using QueueExporter.QueueJob.Schema;
using QueueExporter.Runner.Channels;

namespace QueueExporter.Runner.Database;

/// <summary>
/// The runner's reads of queue_job, in one place: the full load of active jobs (streamed) and the re-read of
/// changed rows by uuid (one statement for a whole notification batch, never one per uuid). Every
/// value is selected in a form .NET can always hold (text or its bytes, int4, timestamps as float8 epoch seconds),
/// and decoded by <see cref="JobRowDecoder"/>: a hostile row is skipped or clamped, never thrown.
/// </summary>
internal static class JobRowReader
{
    // The columns the scheduler needs; every supported shape (12.0 to 18.0) has them. extract(epoch ...)
    // of a naive timestamp reads it as UTC, which is what Odoo stores; infinity stays a float8 infinity.
    private const string Columns = """
        uuid::text, state::text, channel::text,
        LEAST(GREATEST(COALESCE(priority, 10)::bigint, -2147483648), 2147483647)::int4,
        extract(epoch FROM date_created)::float8, COALESCE(id::bigint, 0), extract(epoch FROM eta)::float8
        """;

    // A full load's columns: the same, but the uuid as its UTF-8 bytes (bytea), which the runner parses where they lie
    // in the read buffer: a million-row load then makes no uuid string per row, only for the rare non-canonical one.
    // A test on the server (a regex or translate) cost PostgreSQL 4-5 s per million rows; convert_to is a copy.
    private const string LoadColumns = """
        convert_to(uuid::text, 'UTF8'), state::text, channel::text,
        LEAST(GREATEST(COALESCE(priority, 10)::bigint, -2147483648), 2147483647)::int4,
        extract(epoch FROM date_created)::float8, COALESCE(id::bigint, 0), extract(epoch FROM eta)::float8
        """;

    // Running and failed jobs first: once the first pending job can be picked, every job holding capacity
    // (or stopping a sequential channel) is already known, so dispatching from the first slice is safe.
    private const string LoadHoldingSql = "SELECT " + LoadColumns + " FROM queue_job WHERE state IN ('enqueued', 'started', 'failed')";

    private const string LoadPendingSql = "SELECT " + LoadColumns + " FROM queue_job WHERE state = 'pending'";

    // The state each load statement's rows are known to have: the holding rows say theirs, the pending ones need not.
    private static readonly string?[] ResultStates = [null, JobStates.Pending];

    private const string ReadByUuidSql = "SELECT " + Columns + " FROM queue_job WHERE uuid = ANY(@uuids)";

    /// <summary>
    /// Rows per slice of a load: large enough that posting it costs nothing per row, small enough that its list
    /// (64 bytes a row) stays under the large object heap's 85,000 bytes: a large-object slice is only reclaimed
    /// by a full collection, so a million-row load left its slices' hundreds of MiB to the process's peak RSS.
    /// </summary>
    public const int LoadSliceSize = 1024;

    /// <summary>
    /// Streams every active job of <paramref name="database"/> into <paramref name="sink"/> in slices of
    /// <see cref="LoadSliceSize"/> (wait_dependencies rows are not read: nothing to schedule yet). Both reads
    /// run in one REPEATABLE READ transaction, so they see one snapshot, as the single statement before them
    /// did; the batch is one round trip, its rows arrive as PostgreSQL sends them. Nothing counts the rows
    /// first: an exact count(*) read the whole table once more before the first row could be dispatched,
    /// and the scheduler's uuid map grows by doubling at 8 bytes a slot, so pre-sizing no longer pays.
    /// </summary>
    public static async Task LoadActiveAsync(NpgsqlConnection connection, string database, IJobLoadSink sink, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
        await using var batch = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands = { new NpgsqlBatchCommand(LoadHoldingSql), new NpgsqlBatchCommand(LoadPendingSql) },
        };
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            await sink.StartAsync(cancellationToken);
            var slice = Slice();
            var uuidBuffer = new byte[CanonicalUuid.Length + 1];

            // The holding rows, then the pending ones, whose state needs no string of its own, a million times.
            foreach (var knownState in ResultStates)
            {
                if (knownState is not null)
                {
                    await reader.NextResultAsync(cancellationToken);
                }

                while (await reader.ReadAsync(cancellationToken))
                {
                    ReadLoadedRow(reader, slice, uuidBuffer, knownState);
                    if (slice.Jobs.Count == LoadSliceSize)
                    {
                        await sink.AddAsync(slice, cancellationToken);
                        slice = Slice();
                    }
                }
            }

            if (slice.Jobs.Count > 0 || slice.Skipped.Count > 0)
            {
                await sink.AddAsync(slice, cancellationToken);
            }
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>The current facts of the rows with these uuids; a uuid without facts has no row the scheduler can hold any more.</summary>
    public static async Task<JobRows> ReadByUuidsAsync(NpgsqlConnection connection, string database, IReadOnlyCollection<string> uuids, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(ReadByUuidSql, connection);
        command.Parameters.Add(new NpgsqlParameter<string[]>("uuids", NpgsqlDbType.Array | NpgsqlDbType.Varchar) { TypedValue = [.. uuids] });
        return await ReadAsync(command, database, cancellationToken);
    }

    private static async Task<JobRows> ReadAsync(NpgsqlCommand command, string database, CancellationToken cancellationToken)
    {
        var rows = JobRows.Empty();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ReadRow(reader, database, rows);
        }

        return rows;
    }

    private static LoadSlice Slice() => new(new List<LoadedJob>(LoadSliceSize), []);

    private static void ReadLoadedRow(NpgsqlDataReader reader, LoadSlice slice, byte[] uuidBuffer, string? knownState)
    {
        var state = knownState ?? (reader.IsDBNull(1) ? null : reader.GetString(1));
        if (state == JobStates.WaitDependencies)
        {
            return;
        }

        Guid? uuid = null;
        string? uuidText = null;
        if (!reader.IsDBNull(0))
        {
            // One byte more than a canonical uuid tells a longer value from an exact one without asking its length.
            var length = (int)reader.GetBytes(0, 0, uuidBuffer, 0, uuidBuffer.Length);
            if (CanonicalUuid.TryParse(uuidBuffer.AsSpan(0, length), out var parsed))
            {
                uuid = parsed;
            }
            else
            {
                uuidText = length < uuidBuffer.Length
                    ? Encoding.UTF8.GetString(uuidBuffer, 0, length)
                    : Encoding.UTF8.GetString(reader.GetFieldValue<byte[]>(0));
            }
        }

        var tail = RowTail.Read(reader);
        var skip = JobRowDecoder.TryDecodeLoaded(
            uuid, uuidText, state, tail.Channel, tail.Priority, tail.CreatedEpoch, tail.OrderId, tail.EtaEpoch, out var job, out var clamped);
        if (Keep(skip, clamped, tail.Id, slice.Skipped))
        {
            slice.Jobs.Add(job);
        }
    }

    private static void ReadRow(NpgsqlDataReader reader, string database, JobRows rows)
    {
        var uuid = reader.IsDBNull(0) ? null : reader.GetString(0);
        var state = reader.IsDBNull(1) ? null : reader.GetString(1);
        if (state == JobStates.WaitDependencies)
        {
            return;
        }

        var tail = RowTail.Read(reader);
        var skip = JobRowDecoder.TryDecode(
            database, uuid, state, tail.Channel, tail.Priority, tail.CreatedEpoch, tail.OrderId, tail.EtaEpoch, out var facts, out var clamped);
        if (Keep(skip, clamped, tail.Id, rows.Skipped))
        {
            rows.Facts.Add(facts);
        }
    }

    /// <summary>Records a skipped or clamped row in <paramref name="skipped"/>; true when the row is kept.</summary>
    private static bool Keep(string? skip, bool clamped, long id, List<(string Reason, long Id)> skipped)
    {
        if (skip is not null)
        {
            skipped.Add((skip, id));
            return false;
        }

        if (clamped)
        {
            skipped.Add((SkipReasons.ClampedTimestamp, id));
        }

        return true;
    }

    /// <summary>Columns 2 to 6, the same in both selects: read once here for either decoder.</summary>
    private readonly record struct RowTail(string? Channel, int Priority, double? CreatedEpoch, long Id, double? EtaEpoch)
    {
        /// <summary>Ids only order jobs created in the same instant: clamping a bigint id keeps the row schedulable.</summary>
        public int OrderId => (int)Math.Clamp(Id, int.MinValue, int.MaxValue);

        public static RowTail Read(NpgsqlDataReader reader) => new(
            reader.IsDBNull(2) ? null : reader.GetString(2),
            reader.GetInt32(3),
            reader.IsDBNull(4) ? null : reader.GetDouble(4),
            reader.GetInt64(5),
            reader.IsDBNull(6) ? null : reader.GetDouble(6));
    }
}
