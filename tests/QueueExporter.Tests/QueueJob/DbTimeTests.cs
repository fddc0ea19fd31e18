using QueueExporter.QueueJob.Time;

namespace QueueExporter.Tests.QueueJob;

public class DbTimeTests
{
    [Fact]
    public void A_moment_in_another_offset_is_stored_as_its_utc_wall_clock()
    {
        var moment = new DateTimeOffset(2025, 12, 9, 9, 22, 43, TimeSpan.FromHours(2));

        var stored = DbTime.ToDb(moment);

        Assert.Equal(new DateTime(2025, 12, 9, 7, 22, 43), stored);
        Assert.Equal(DateTimeKind.Unspecified, stored.Kind);
    }

    [Fact]
    public void A_naive_value_reads_back_as_utc()
    {
        var read = DbTime.FromDb(new DateTime(2025, 12, 9, 7, 22, 43, DateTimeKind.Unspecified));

        Assert.Equal(TimeSpan.Zero, read.Offset);
        Assert.Equal(new DateTimeOffset(2025, 12, 9, 7, 22, 43, TimeSpan.Zero), read);
    }

    [Fact]
    public void A_round_trip_keeps_the_moment()
    {
        var moment = DateTimeOffset.UtcNow;

        Assert.Equal(moment, DbTime.FromDb(DbTime.ToDb(moment)));
        Assert.Null(DbTime.FromDb((DateTime?)null));
    }
}
