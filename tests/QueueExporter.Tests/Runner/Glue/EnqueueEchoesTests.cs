using QueueExporter.Runner.Dispatch;

namespace QueueExporter.Tests.Runner.Glue;

/// <summary>
/// Which notifications the reader may skip: only the echo of the runner's own enqueue UPDATE, once, and
/// never a change anyone else made, whatever the order in which notifications arrive. Which it may read
/// later: only the first notification after a job's echo (the worker's "started", as a rule).
/// </summary>
public class EnqueueEchoesTests
{
    private readonly EnqueueEchoes _echoes = new();
    private readonly List<string> _deferrable = [];

    public EnqueueEchoesTests() => _echoes.BeginLease(1);

    [Fact]
    public void The_echo_of_our_own_update_is_skipped_once()
    {
        _echoes.Expect(1, ["a", "b"]);

        Assert.Equal(["c"], Now(1, ["a", "b", "c"]));
        Assert.Empty(_deferrable);

        // Not skipped again: read, after a wait that lets the job's next notification come along.
        Assert.Empty(Now(1, ["a", "b"]));
        Assert.Equal(["a", "b"], _deferrable);
        Assert.Equal(0, _echoes.Count);
    }

    [Fact]
    public void A_change_by_someone_else_after_our_write_is_still_re_read()
    {
        _echoes.Expect(1, ["a"]);

        // Our echo, then the worker's "started", then its "done", in one batch: "done" is read now.
        Assert.Equal(["a"], Now(1, ["a", "a", "a"]));
        Assert.Equal(["a"], _deferrable);
    }

    [Fact]
    public void A_change_by_someone_else_in_a_later_batch_is_re_read()
    {
        _echoes.Expect(1, ["a"]);

        Assert.Empty(Now(1, ["a"]));
        Assert.Empty(Now(1, ["a"]));
        Assert.Equal(["a"], _deferrable);
        Assert.Equal(["a"], Now(1, ["a"]));
    }

    [Fact]
    public void A_job_the_update_did_not_move_expects_no_echo()
    {
        _echoes.Expect(1, ["a", "b"]);
        _echoes.Withdraw(1, "b");

        Assert.Equal(["b"], Now(1, ["b"]));
    }

    [Fact]
    public void A_withdrawal_after_the_expectation_was_used_up_takes_nothing_from_later_ones()
    {
        _echoes.Expect(1, ["a"]);
        Assert.Empty(Now(1, ["a"]));

        _echoes.Withdraw(1, "a");
        _echoes.Withdraw(1, "a");

        Assert.Equal(["a"], Now(1, ["a"]));
        Assert.Equal(0, _echoes.Count);
    }

    [Fact]
    public void A_new_lease_forgets_echoes_that_never_came()
    {
        // The old session's notifications are lost with it: an expectation left over must not swallow a later change.
        _echoes.Expect(1, ["a"]);
        _echoes.BeginLease(2);

        Assert.Equal(["a"], Now(2, ["a"]));
    }

    [Fact]
    public void Expectations_of_another_lease_are_ignored()
    {
        _echoes.Expect(7, ["a"]);

        Assert.Equal(["a"], Now(1, ["a"]));
        Assert.Equal(0, _echoes.Count);
    }

    [Fact]
    public void Two_dispatches_of_the_same_job_expect_two_echoes()
    {
        _echoes.Expect(1, ["a"]);
        _echoes.Expect(1, ["a"]);

        Assert.Empty(Now(1, ["a", "a"]));
        Assert.Empty(Now(1, ["a"]));
        Assert.Equal(["a"], _deferrable);
    }

    [Fact]
    public void Nothing_expected_returns_the_notified_batch_itself()
    {
        IReadOnlyCollection<string> notified = ["a", "b"];

        Assert.Same(notified, Now(1, notified));
    }

    [Fact]
    public void A_job_the_dispatcher_resets_itself_is_read_at_once_whether_or_not_its_echo_came()
    {
        _echoes.Expect(1, ["a", "b"]);
        Assert.Empty(Now(1, ["a"]));

        // "a"'s echo came before the reset, "b"'s will come after it: both resets are read at once.
        _echoes.Resetting(1, "a");
        _echoes.Resetting(1, "b");

        Assert.Equal(["a", "b", "b"], Now(1, ["a", "b", "b"]));
        Assert.Empty(_deferrable);
    }

    [Fact]
    public void A_new_lease_defers_nothing_the_old_one_echoed()
    {
        _echoes.Expect(1, ["a"]);
        Assert.Empty(Now(1, ["a"]));
        _echoes.BeginLease(2);

        Assert.Equal(["a"], Now(2, ["a"]));
        Assert.Empty(_deferrable);
    }

    [Fact]
    public void Only_the_first_notification_after_the_echo_is_deferrable()
    {
        _echoes.Expect(1, ["a"]);
        Assert.Empty(Now(1, ["a"]));
        Assert.Empty(Now(1, ["a"]));

        Assert.Equal(["a"], Now(1, ["a"]));
        Assert.Equal(["a"], Now(1, ["a"]));
        Assert.Equal(["a"], _deferrable);
    }

    private IReadOnlyCollection<string> Now(long epoch, IReadOnlyCollection<string> notified) => _echoes.WithoutEchoes(epoch, notified, _deferrable);
}
