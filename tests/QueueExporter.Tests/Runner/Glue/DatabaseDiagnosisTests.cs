using QueueExporter.Runner.Database;
using QueueExporter.Runner.Leadership;

namespace QueueExporter.Tests.Runner.Glue;

public class DatabaseDiagnosisTests
{
    private static readonly string[] AllColumns = ["id", "uuid", "state", "channel", "priority", "date_created", "date_enqueued", "eta", "name"];

    [Fact]
    public void A_complete_database_has_no_problem() =>
        Assert.Null(DatabaseDiagnosis.Describe(true, AllColumns, true, true, 28, "odoo"));

    [Fact]
    public void The_first_real_cause_is_named_in_order_table_shape_rights_trigger()
    {
        Assert.StartsWith("no queue_job table", DatabaseDiagnosis.Describe(false, [], false, false, 0, "odoo"));
        Assert.Equal("queue_job has the wrong shape: no column state, eta", DatabaseDiagnosis.Describe(true, ["id", "uuid", "channel", "priority", "date_created", "date_enqueued"], true, true, 0, "odoo"));
        Assert.StartsWith("role reader lacks UPDATE on queue_job", DatabaseDiagnosis.Describe(true, AllColumns, true, false, 28, "reader"));
        Assert.StartsWith("role nobody lacks SELECT and UPDATE", DatabaseDiagnosis.Describe(true, AllColumns, false, false, 0, "nobody"));
        Assert.Equal("queue_job_notify trigger is missing", DatabaseDiagnosis.Describe(true, AllColumns, true, true, 0, "odoo"));
    }

    [Theory]
    [InlineData(4 | 16)] // insert and update, no delete
    [InlineData(16)]
    public void A_trigger_that_misses_an_event_counts_as_missing(int events) =>
        Assert.Equal("queue_job_notify trigger is missing", DatabaseDiagnosis.Describe(true, AllColumns, true, true, events, "odoo"));

    [Fact]
    public void The_fence_reads_ocas_key_as_pg_locks_shows_it()
    {
        Assert.Equal((LeaderLock.Key >> 32, LeaderLock.Key & 0xFFFFFFFF), (LeaseFence.KeyHigh, LeaseFence.KeyLow));
        Assert.Contains($"lk.classid::bigint = {LeaseFence.KeyHigh} AND lk.objid::bigint = {LeaseFence.KeyLow}", LeaseFence.Predicate, StringComparison.Ordinal);
        Assert.Equal(LeaseFence.Barrier, $"SELECT pg_advisory_xact_lock_shared({LeaseFence.InFlightKey})");
        Assert.Equal((LeaseFence.KeyHigh, LeaseFence.KeyLow), LeaseFence.Split(LeaderLock.Key));
    }

    [Fact]
    public void A_negative_token_splits_into_unsigned_halves_as_pg_locks_shows_them()
    {
        Assert.Equal((0xFFFFFFFFL, 0xFFFFFFFFL), LeaseFence.Split(-1));
        Assert.Equal((0x80000000L, 1L), LeaseFence.Split(long.MinValue + 1));
    }
}
