using Microsoft.Extensions.Time.Testing;
using QueueExporter.Runner.Database;

namespace QueueExporter.Tests.Runner;

/// <summary>
/// A database's pool is emptied once it has gone unused for a whole quiet time, never while it is in use or
/// used within that time, and a use that overlaps the emptying still leads to the next one.
/// </summary>
public class IdlePoolCloserTests
{
    private static readonly TimeSpan Quiet = IdlePoolCloser.QuietAfter;
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(1);

    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 4, 12, 0, 0, TimeSpan.Zero));
    private int _clears;

    [Fact]
    public void A_pool_never_used_is_never_cleared()
    {
        using var closer = new IdlePoolCloser(_clock, () => _clears++);

        _clock.Advance(Quiet * 10);

        Assert.Equal(0, _clears);
    }

    [Fact]
    public void A_pool_is_cleared_once_a_whole_quiet_time_after_its_last_use_ended()
    {
        using var closer = new IdlePoolCloser(_clock, () => _clears++);

        Use(closer);
        _clock.Advance(Quiet - Tick);
        Assert.Equal(0, _clears);
        _clock.Advance(Tick);
        Assert.Equal(1, _clears);
        _clock.Advance(Quiet * 10);
        Assert.Equal(1, _clears);
    }

    [Fact]
    public void A_use_within_the_quiet_time_starts_it_again()
    {
        using var closer = new IdlePoolCloser(_clock, () => _clears++);

        Use(closer);
        _clock.Advance(Quiet - Tick);
        Use(closer);
        _clock.Advance(Quiet - Tick);
        Assert.Equal(0, _clears);
        _clock.Advance(Tick);
        Assert.Equal(1, _clears);
    }

    [Fact]
    public void A_steady_trickle_of_uses_keeps_the_pool()
    {
        using var closer = new IdlePoolCloser(_clock, () => _clears++);

        for (var i = 0; i < 100; i++)
        {
            Use(closer);
            _clock.Advance(Quiet / 3);
        }

        Assert.Equal(0, _clears);
    }

    [Fact]
    public void A_use_in_progress_holds_the_pool_however_long_it_takes()
    {
        using var closer = new IdlePoolCloser(_clock, () => _clears++);

        Use(closer);
        _clock.Advance(Tick);
        closer.Began();
        _clock.Advance(Quiet * 3);
        Assert.Equal(0, _clears);
        closer.Ended();
        _clock.Advance(Quiet - Tick);
        Assert.Equal(0, _clears);
        _clock.Advance(Quiet);
        Assert.Equal(1, _clears);
    }

    [Fact]
    public void Two_overlapping_uses_hold_the_pool_until_the_later_one_ends()
    {
        using var closer = new IdlePoolCloser(_clock, () => _clears++);

        closer.Began();
        closer.Began();
        closer.Ended();
        _clock.Advance(Quiet * 2);
        Assert.Equal(0, _clears);
        closer.Ended();
        _clock.Advance(Quiet);
        Assert.Equal(1, _clears);
    }

    [Fact]
    public void A_use_after_a_clear_leads_to_another_clear()
    {
        using var closer = new IdlePoolCloser(_clock, () => _clears++);

        Use(closer);
        _clock.Advance(Quiet);
        Use(closer);
        _clock.Advance(Quiet);

        Assert.Equal(2, _clears);
    }

    [Fact]
    public void A_use_that_begins_while_the_pool_is_being_cleared_leads_to_another_clear()
    {
        // The clear runs outside the closer's lock: a use can begin and end in between. Its connection may have
        // survived the clear (Npgsql closes a busy one only when it comes back), so it must be cleared again.
        IdlePoolCloser? closer = null;
        closer = new IdlePoolCloser(_clock, () =>
        {
            if (++_clears == 1)
            {
                Use(closer!);
            }
        });
        using var disposing = closer;

        Use(closer);
        _clock.Advance(Quiet);
        Assert.Equal(1, _clears);
        _clock.Advance(Quiet);

        Assert.Equal(2, _clears);
    }

    [Fact]
    public void A_disposed_closer_clears_nothing()
    {
        var closer = new IdlePoolCloser(_clock, () => _clears++);

        Use(closer);
        closer.Dispose();
        _clock.Advance(Quiet * 2);
        Use(closer);
        _clock.Advance(Quiet * 2);

        Assert.Equal(0, _clears);
    }

    private static void Use(IdlePoolCloser closer)
    {
        closer.Began();
        closer.Ended();
    }
}
