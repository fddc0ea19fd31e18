using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Npgsql;
using QueueExporter.QueueJob.Notifications;
using QueueExporter.Runner.Database;

namespace QueueExporter.Runner.Fleet;

/// <summary>
/// Membership of a fleet of runner replicas, kept by PostgreSQL alone: each replica holds one session
/// advisory lock <c>(ClassId, slot)</c> in the coordination database for as long as it lives, and reads
/// the live slots back from <c>pg_locks</c> every interval. A replica that dies, or whose session the
/// server ends (the session uses the leader session's keepalive and idle-timeout settings, so a silent
/// partition ends it too), loses its slot at once, and the others see it at their next read.
/// <para>
/// Membership only decides who should try which database (<see cref="FleetAssignment"/>); leading is
/// still holding OCA's lock on the database itself. So when this session fails, the replica keeps the
/// databases it leads and its last view, and reconnects with backoff: the others may then assign its
/// databases elsewhere, but they cannot take a lock it still holds.
/// </para>
/// </summary>
internal sealed class FleetMembership
{
    /// <summary>The advisory-lock class of replica slots ("QExF"); two-int keys never meet OCA's bigint key.</summary>
    public const int ClassId = 0x51457846;

    /// <summary>Replicas one fleet can hold.</summary>
    public const int MaxReplicas = 64;

    private const string MembersSql = """
        SELECT l.objid::bigint::int AS slot, l.pid = pg_catalog.pg_backend_pid() AS mine
        FROM pg_catalog.pg_locks l
        WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 AND l.classid::bigint = @class
          AND l.database = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database())
        """;

    private readonly string _connectionString;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly RunnerMetrics _metrics;
    private readonly Channel<FleetView> _changes = Channel.CreateBounded<FleetView>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
    private FleetView? _view;
    private string? _failure = "joining";

    /// <param name="connectionString">The coordination database, as a plain connection string.</param>
    /// <param name="interval">Time between reads of the members (also the session's ping).</param>
    /// <param name="metrics">Where the slot and member count are shown.</param>
    /// <param name="time">The clock.</param>
    /// <param name="logger">Where joins and failures are logged.</param>
    public FleetMembership(string connectionString, TimeSpan interval, RunnerMetrics metrics, TimeProvider time, ILogger logger)
    {
        _connectionString = LeaderSessionSettings.ConnectionString(connectionString);
        _interval = interval;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _metrics.FleetSlot.Set(-1);
    }

    /// <summary>The latest view; null until this replica first joined.</summary>
    public FleetView? View => Volatile.Read(ref _view);

    /// <summary>Why membership is not current now (joining, full, failing); null while it is.</summary>
    public string? Failure => Volatile.Read(ref _failure);

    /// <summary>Carries each new view (only the latest is kept).</summary>
    public ChannelReader<FleetView> Changes => _changes.Reader;

    /// <summary>Keeps membership until <paramref name="stop"/>; never throws (a failure reconnects).</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        var backoff = new ReconnectBackoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await using var session = new NpgsqlConnection(_connectionString);
                await session.OpenAsync(stop);
                await LeaderSessionSettings.ApplyAsync(session, stop);
                if (await TakeSlotAsync(session, stop) is not { } slot)
                {
                    Volatile.Write(ref _failure, $"all {MaxReplicas} replica slots are taken");
                    RunnerLog.FleetFull(_logger, MaxReplicas, _interval.TotalSeconds);
                    await Task.Delay(_interval, _time, stop);
                    continue;
                }

                RunnerLog.FleetJoined(_logger, slot);
                _metrics.FleetSlot.Set(slot);
                backoff.Reset();
                while (true)
                {
                    var members = await ReadMembersAsync(session, slot, stop);
                    Volatile.Write(ref _failure, null);
                    Publish(new FleetView(slot, members));
                    await Task.Delay(_interval, _time, stop);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
#pragma warning disable CA1031 // Supervision: any failure is logged with its stack, shown in health, and retried with backoff.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                var delay = backoff.NextDelay();
                Volatile.Write(ref _failure, $"membership session failed: {ex.GetType().Name}: {ex.Message}");
                RunnerLog.FleetFailed(_logger, ex, delay.TotalSeconds);
                try
                {
                    await Task.Delay(delay, _time, stop);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }

        _metrics.FleetSlot.Set(-1);
    }

    private void Publish(FleetView view)
    {
        if (view.Equals(View))
        {
            return;
        }

        Volatile.Write(ref _view, view);
        _metrics.FleetReplicas.Set(view.Members.Count);
        _changes.Writer.TryWrite(view);
    }

    /// <summary>Takes the lowest free slot; null when all are taken.</summary>
    private static async Task<int?> TakeSlotAsync(NpgsqlConnection session, CancellationToken cancellationToken)
    {
        var taken = (await ReadSlotsAsync(session, cancellationToken)).Select(s => s.Slot).ToHashSet();
        for (var slot = 0; slot < MaxReplicas; slot++)
        {
            if (taken.Contains(slot))
            {
                continue;
            }

            // Another replica may take the same free slot between the read and here: then try the next one.
            await using var command = new NpgsqlCommand("SELECT pg_catalog.pg_try_advisory_lock(@class, @slot)", session);
            command.Parameters.AddWithValue("class", ClassId);
            command.Parameters.AddWithValue("slot", slot);
            if (await command.ExecuteScalarAsync(cancellationToken) is true)
            {
                return slot;
            }
        }

        return null;
    }

    private static async Task<IReadOnlyList<int>> ReadMembersAsync(NpgsqlConnection session, int slot, CancellationToken cancellationToken)
    {
        var slots = await ReadSlotsAsync(session, cancellationToken);
        if (!slots.Contains((slot, true)))
        {
            throw new InvalidOperationException($"this session no longer holds its replica slot {slot}");
        }

        return [.. slots.Select(s => s.Slot).Distinct().Order()];
    }

    private static async Task<List<(int Slot, bool Mine)>> ReadSlotsAsync(NpgsqlConnection session, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(MembersSql, session);
        command.Parameters.AddWithValue("class", (long)ClassId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var slots = new List<(int, bool)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            slots.Add((reader.GetInt32(0), reader.GetBoolean(1)));
        }

        return slots;
    }
}
