using QueueExporter.QueueJob.Schema;
using QueueExporter.Runner.Channels;
using QueueExporter.Runner.Database;

namespace QueueExporter.Tests.Runner;

/// <summary>
/// When a dispatched job's "started" may wait for its next notification: only once a read has shown that the
/// workers write "started", and never again in the lease once a job that waited its whole delay is found no
/// longer running (a worker that writes no "started", like the burst benchmark's stand-in).
/// </summary>
public class StartedReadDeferralTests
{
    private readonly StartedReadDeferral _deferral = new();

    public StartedReadDeferralTests() => _deferral.BeginLease(1);

    [Fact]
    public void It_is_off_until_a_read_finds_a_started_job()
    {
        Assert.False(_deferral.IsOn);

        Assert.False(_deferral.Learn([Fact("a", JobStates.Enqueued), Fact("b", JobStates.Done)], Waited()));
        Assert.False(_deferral.IsOn);

        Assert.False(_deferral.Learn([Fact("a", JobStates.Started)], Waited()));
        Assert.True(_deferral.IsOn);
    }

    [Theory]
    [InlineData(JobStates.Done)]
    [InlineData(JobStates.Failed)]
    [InlineData(JobStates.Pending)]
    [InlineData(JobStates.Cancelled)]
    public void A_job_that_waited_out_its_delay_and_is_no_longer_running_turns_it_off_for_the_lease(string state)
    {
        _deferral.Learn([Fact("a", JobStates.Started)], Waited());

        Assert.True(_deferral.Learn([Fact("b", state), Fact("c", JobStates.Started)], Waited("b")));

        Assert.False(_deferral.IsOn);
        Assert.False(_deferral.Learn([Fact("d", JobStates.Started)], Waited()));
        Assert.False(_deferral.IsOn);
    }

    [Fact]
    public void A_job_that_waited_out_its_delay_and_has_no_row_turns_it_off()
    {
        _deferral.Learn([Fact("a", JobStates.Started)], Waited());

        Assert.True(_deferral.Learn([Fact("c", JobStates.Started)], Waited("b")));

        Assert.False(_deferral.IsOn);
    }

    [Fact]
    public void Jobs_that_waited_out_their_delay_and_still_run_keep_it_on()
    {
        _deferral.Learn([Fact("a", JobStates.Started)], Waited());

        Assert.False(_deferral.Learn([Fact("b", JobStates.Started), Fact("c", JobStates.Enqueued), Fact("d", JobStates.Done)], Waited("b", "c")));

        Assert.True(_deferral.IsOn);
    }

    [Fact]
    public void A_new_lease_learns_again()
    {
        _deferral.Learn([Fact("a", JobStates.Started)], Waited());
        _deferral.Learn([Fact("b", JobStates.Done)], Waited("b"));

        _deferral.BeginLease(2);
        Assert.False(_deferral.IsOn);

        _deferral.Learn([Fact("c", JobStates.Started)], Waited());
        Assert.True(_deferral.IsOn);
    }

    private static HashSet<string> Waited(params string[] uuids) => new(uuids, StringComparer.Ordinal);

    private static JobFacts Fact(string uuid, string state) => new("db", uuid, state, null, 10, DateTimeOffset.UnixEpoch, 1, null);
}
