using QueueExporter.Runner.Dispatch;

namespace QueueExporter.Tests.Runner.Glue;

/// <summary>
/// Which notifications the reader may skip: only the echo of the runner's own enqueue UPDATE, once, and
/// never a change anyone else made, whatever the order in which notifications arrive. The first notification
/// after an echo may be read later (deferrable) but is read all the same: <see cref="Reread"/> is what is read
/// now or later, <see cref="Split"/> tells the two apart.
/// </summary>
public class EnqueueEchoesTests
{
    private readonly EnqueueEchoes _echoes = new();

    public EnqueueEchoesTests() => _echoes.BeginLease(1);

    [Fact]
    public void The_echo_of_our_own_update_is_skipped_once()
    {
        _echoes.Expect(1, ["a", "b"]);

        Assert.Equal(["c"], Reread(1, ["a", "b", "c"]));
        Assert.Equal(["a", "b"], Reread(1, ["a", "b"]));
        Assert.Equal(0, _echoes.Count);
    }

    [Fact]
    public void A_change_by_someone_else_after_our_write_is_still_re_read()
    {
        _echoes.Expect(1, ["a"]);

        // Our echo, then the worker's "started" in the same batch: the later one is re-read.
        Assert.Equal(["a"], Reread(1, ["a", "a"]));
    }

    [Fact]
    public void A_change_by_someone_else_in_a_later_batch_is_re_read()
    {
        _echoes.Expect(1, ["a"]);

        Assert.Empty(Reread(1, ["a"]));
        Assert.Equal(["a"], Reread(1, ["a"]));
    }

    [Fact]
    public void A_job_the_update_did_not_move_expects_no_echo()
    {
        _echoes.Expect(1, ["a", "b"]);
        _echoes.Withdraw(1, "b");

        Assert.Equal(["b"], Reread(1, ["b"]));
    }

    [Fact]
    public void A_withdrawal_after_the_expectation_was_used_up_takes_nothing_from_later_ones()
    {
        _echoes.Expect(1, ["a"]);
        Assert.Empty(Reread(1, ["a"]));

        _echoes.Withdraw(1, "a");
        _echoes.Withdraw(1, "a");

        Assert.Equal(["a"], Reread(1, ["a"]));
        Assert.Equal(0, _echoes.Count);
    }

    [Fact]
    public void A_new_lease_forgets_echoes_that_never_came()
    {
        // The old session's notifications are lost with it: an expectation left over must not swallow a later change.
        _echoes.Expect(1, ["a"]);
        _echoes.BeginLease(2);

        Assert.Equal(["a"], Reread(2, ["a"]));
    }

    [Fact]
    public void Expectations_of_another_lease_are_ignored()
    {
        _echoes.Expect(7, ["a"]);

        Assert.Equal(["a"], Reread(1, ["a"]));
        Assert.Equal(0, _echoes.Count);
    }

    [Fact]
    public void Two_dispatches_of_the_same_job_expect_two_echoes()
    {
        _echoes.Expect(1, ["a"]);
        _echoes.Expect(1, ["a"]);

        Assert.Empty(Reread(1, ["a", "a"]));
        Assert.Equal(["a"], Reread(1, ["a"]));
    }

    [Fact]
    public void Nothing_expected_returns_the_notified_batch_itself()
    {
        IReadOnlyCollection<string> notified = ["a", "b"];

        Assert.Same(notified, _echoes.WithoutEchoes(1, notified, []));
    }

    [Fact]
    public void The_first_notification_after_our_echo_is_deferrable_and_the_next_is_read_now()
    {
        _echoes.Expect(1, ["a"]);
        Assert.Equal(("", ""), Split(1, ["a"]));

        Assert.Equal(("", "a"), Split(1, ["a"]));
        Assert.Equal(("a", ""), Split(1, ["a"]));
    }

    [Fact]
    public void Echo_started_and_done_in_one_batch_give_one_deferrable_and_one_read_now()
    {
        _echoes.Expect(1, ["a"]);

        Assert.Equal(("b,a", "a"), Split(1, ["a", "a", "b", "a"]));
    }

    [Fact]
    public void A_job_the_dispatcher_puts_back_is_read_at_once()
    {
        _echoes.Expect(1, ["a", "b"]);
        Assert.Equal(("", ""), Split(1, ["a", "b"]));

        _echoes.Resetting(1, "a");
        _echoes.Resetting(1, "b");

        Assert.Equal(("a,b", ""), Split(1, ["a", "b"]));
    }

    [Fact]
    public void A_withdrawn_job_is_read_at_once()
    {
        _echoes.Expect(1, ["a"]);
        _echoes.Withdraw(1, "a");

        Assert.Equal(("a", ""), Split(1, ["a"]));
    }

    [Fact]
    public void A_new_lease_forgets_which_jobs_were_echoed()
    {
        _echoes.Expect(1, ["a"]);
        Assert.Equal(("", ""), Split(1, ["a"]));
        _echoes.BeginLease(2);

        Assert.Equal(("a", ""), Split(2, ["a"]));
    }

    private List<string> Reread(long epoch, IReadOnlyCollection<string> notified)
    {
        var later = new List<string>();
        var now = _echoes.WithoutEchoes(epoch, notified, later);
        return [.. now, .. later];
    }

    /// <summary>What is read now and what is deferrable, each as its uuids joined by commas.</summary>
    private (string Now, string Later) Split(long epoch, IReadOnlyCollection<string> notified)
    {
        var later = new List<string>();
        var now = _echoes.WithoutEchoes(epoch, notified, later);
        return (string.Join(",", now), string.Join(",", later));
    }
}
