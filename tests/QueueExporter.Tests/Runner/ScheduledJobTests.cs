using QueueExporter.Runner.Channels;
using Xunit;

namespace QueueExporter.Tests.Runner;

/// <summary>The job packs its database index, state and subchannel flag into one field: none may overwrite another.</summary>
public class ScheduledJobTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(ScheduledJob.MaxDatabases - 1)]
    public void Database_index_state_and_subchannel_flag_are_kept_apart(int database)
    {
        var job = new ScheduledJob(database, Guid.NewGuid());
        foreach (var state in Enum.GetValues<ScheduledJobState>())
        {
            foreach (var inSubchannel in (bool[])[true, false])
            {
                job.State = state;
                job.InSubchannel = inSubchannel;

                Assert.Equal(database, job.DatabaseIndex);
                Assert.Equal(state, job.State);
                Assert.Equal(inSubchannel, job.InSubchannel);
            }
        }
    }

    [Fact]
    public void A_database_index_beyond_the_packed_range_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ScheduledJob(ScheduledJob.MaxDatabases, Guid.NewGuid()));
    }
}
