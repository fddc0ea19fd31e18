using QueueExporter.Runner.Database;

namespace QueueExporter.Tests.Runner;

/// <summary>
/// The waiting re-reads on a clock of plain numbers (1 tick = 1 ms): a job waits its delay at most, is read
/// earlier when anything else is read, and is never lost.
/// </summary>
public class DeferredRereadsTests
{
    private readonly DeferredRereads _deferred = new(TimeSpan.FromMilliseconds(10), 1000);

    public DeferredRereadsTests() => _deferred.BeginLease(1);

    [Fact]
    public void A_job_is_due_once_its_delay_is_over_and_is_then_listed_as_waited_out()
    {
        _deferred.Defer(["a"], 100);

        Assert.Equal(110, _deferred.NextDue);
        var into = new HashSet<string>();
        var waitedOut = new HashSet<string>();
        _deferred.TakeDue(109, into, waitedOut, 100);
        Assert.Empty(into);

        _deferred.TakeDue(110, into, waitedOut, 100);
        Assert.Equal(["a"], into);
        Assert.Equal(["a"], waitedOut);
        Assert.Equal(0, _deferred.Count);
        Assert.Null(_deferred.NextDue);
    }

    [Fact]
    public void A_job_read_anyway_waits_no_more()
    {
        _deferred.Defer(["a", "b"], 100);

        _deferred.Covered(["a"]);

        Assert.Equal(1, _deferred.Count);
        var into = new HashSet<string>();
        var waitedOut = new HashSet<string>();
        _deferred.TakeDue(200, into, waitedOut, 100);
        Assert.Equal(["b"], into);
    }

    [Fact]
    public void Every_waiting_job_rides_along_with_a_statement_that_goes_out_anyway_and_none_of_them_waited_out()
    {
        _deferred.Defer(["a"], 100);
        _deferred.Defer(["b"], 105);
        var into = new HashSet<string> { "c" };
        var waitedOut = new HashSet<string>();

        _deferred.TakeDue(108, into, waitedOut, 100);
        _deferred.RideAlong(into, 100);

        Assert.Equal(["a", "b", "c"], into.Order(StringComparer.Ordinal));
        Assert.Empty(waitedOut);
        Assert.Equal(0, _deferred.Count);
    }

    [Fact]
    public void A_job_deferred_again_keeps_its_earlier_time()
    {
        _deferred.Defer(["a"], 100);
        _deferred.Defer(["a"], 105);

        Assert.Equal(110, _deferred.NextDue);
    }

    [Fact]
    public void Taking_stops_at_the_limit_and_leaves_the_rest_waiting()
    {
        _deferred.Defer(["a", "b", "c"], 100);
        var into = new HashSet<string> { "x" };
        var waitedOut = new HashSet<string>();

        _deferred.TakeDue(200, into, waitedOut, 2);
        Assert.Equal(2, into.Count);
        _deferred.RideAlong(into, 3);

        Assert.Equal(3, into.Count);
        Assert.Equal(1, _deferred.Count);
        Assert.Equal(110, _deferred.NextDue);
    }

    [Fact]
    public void A_job_covered_and_deferred_again_is_due_at_its_new_time()
    {
        _deferred.Defer(["a"], 100);
        _deferred.Covered(["a"]);
        _deferred.Defer(["a"], 150);

        Assert.Equal(160, _deferred.NextDue);
    }

    [Fact]
    public void A_new_lease_starts_with_nothing_waiting()
    {
        _deferred.Defer(["a"], 100);

        _deferred.BeginLease(2);

        Assert.Equal(0, _deferred.Count);
        Assert.Null(_deferred.NextDue);
    }

    [Fact]
    public void The_same_lease_again_keeps_what_waits()
    {
        _deferred.Defer(["a"], 100);

        _deferred.BeginLease(1);

        Assert.Equal(1, _deferred.Count);
    }
}
