using QueueExporter.Runner.Database;

namespace QueueExporter.Tests.Runner.Glue;

/// <summary>
/// The wait of a deferred re-read, on a timestamp the test chooses (1 tick = 1 ms here): due after the delay,
/// taken early by any read that covers it, never lost, never read twice, and forgotten with its lease.
/// </summary>
public class DeferredRereadsTests
{
    private readonly DeferredRereads _deferred = new(TimeSpan.FromSeconds(1), timestampFrequency: 1_000);

    public DeferredRereadsTests() => _deferred.BeginLease(1);

    [Fact]
    public void A_deferred_job_is_due_after_the_delay_and_taken_once()
    {
        _deferred.Defer(["a"], now: 100);

        Assert.Equal(1_100, _deferred.NextDue);
        Assert.Empty(Take(now: 1_099));
        Assert.Equal(["a"], Take(now: 1_100));
        Assert.Empty(Take(now: 5_000));
        Assert.Null(_deferred.NextDue);
    }

    [Fact]
    public void A_job_read_meanwhile_waits_no_more()
    {
        _deferred.Defer(["a", "b"], now: 0);
        _deferred.Covered(["a"]);

        Assert.Equal(["b"], Take(now: 1_000));
        Assert.Equal(0, _deferred.Count);
    }

    [Fact]
    public void A_job_deferred_again_keeps_its_earlier_time()
    {
        _deferred.Defer(["a"], now: 0);
        _deferred.Defer(["a"], now: 500);

        Assert.Equal(["a"], Take(now: 1_000));
        Assert.Empty(Take(now: 1_500));
    }

    [Fact]
    public void A_job_read_and_deferred_again_is_due_at_its_new_time()
    {
        _deferred.Defer(["a"], now: 0);
        _deferred.Covered(["a"]);
        _deferred.Defer(["a"], now: 500);

        Assert.Equal(1_500, _deferred.NextDue);
        Assert.Empty(Take(now: 1_000));
        Assert.Equal(["a"], Take(now: 1_500));
    }

    [Fact]
    public void Due_jobs_beyond_the_limit_wait_for_the_next_read()
    {
        _deferred.Defer(["a", "b", "c"], now: 0);
        var into = new HashSet<string>(StringComparer.Ordinal) { "x" };

        _deferred.TakeDue(1_000, into, limit: 3);

        Assert.Equal(["a", "b", "x"], into.Order(StringComparer.Ordinal));
        Assert.Equal(1_000, _deferred.NextDue);
        Assert.Equal(["c"], Take(now: 1_000));
    }

    [Fact]
    public void A_new_lease_forgets_every_wait()
    {
        _deferred.Defer(["a"], now: 0);
        _deferred.BeginLease(2);

        Assert.Null(_deferred.NextDue);
        Assert.Empty(Take(now: 1_000));
    }

    private List<string> Take(long now)
    {
        var into = new HashSet<string>(StringComparer.Ordinal);
        _deferred.TakeDue(now, into, limit: 100);
        return [.. into.Order(StringComparer.Ordinal)];
    }
}
