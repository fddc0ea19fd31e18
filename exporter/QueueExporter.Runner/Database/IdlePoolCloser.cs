namespace QueueExporter.Runner.Database;

/// <summary>
/// Empties a database's pool once nothing has used it for <see cref="QuietAfter"/>, and only then.
/// Npgsql's own pruning closes, about every 6 s, as many connections as sat idle at its samples: under
/// a steady trickle of jobs that is the very connection the trickle uses, and the next dispatch waited
/// 40–65 ms for a new backend (the latency benchmark's p99). So the pool keeps one connection
/// (<c>MinPoolSize = 1</c>; Npgsql still prunes the rest) and this closes that one when the database is
/// at rest, where it holds only its listening session. The timer runs only while the pool may hold a
/// connection: a database at rest has no wake-ups.
/// </summary>
internal sealed class IdlePoolCloser : IDisposable
{
    /// <summary>How long a database's pool goes unused before its connections close.</summary>
    public static readonly TimeSpan QuietAfter = TimeSpan.FromSeconds(5);

    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly Action _clear;
    private readonly ITimer _timer;
    private int _inUse;
    private long _lastEnded;
    private bool _armed;
    private bool _disposed;

    /// <param name="time">The clock.</param>
    /// <param name="clear">Closes the pool's idle connections (and busy ones when they come back); never throws.</param>
    public IdlePoolCloser(TimeProvider time, Action clear)
    {
        _time = time;
        _clear = clear;
        _timer = time.CreateTimer(static state => ((IdlePoolCloser)state!).Fire(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>A use of the pool begins (before it waits for a connection).</summary>
    public void Began()
    {
        lock (_gate)
        {
            _inUse++;
        }
    }

    /// <summary>That use ended, with or without an error: the quiet time counts from here.</summary>
    public void Ended()
    {
        lock (_gate)
        {
            _inUse--;
            _lastEnded = _time.GetTimestamp();
            if (!_armed && !_disposed)
            {
                _armed = true;
                _timer.Change(QuietAfter, Timeout.InfiniteTimeSpan);
            }
        }
    }

    private void Fire()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            // A use in progress re-arms for a whole quiet time: its end arms nothing while armed.
            var quietFor = _inUse > 0 ? TimeSpan.Zero : _time.GetElapsedTime(_lastEnded);
            if (quietFor < QuietAfter)
            {
                _timer.Change(QuietAfter - quietFor, Timeout.InfiniteTimeSpan);
                return;
            }

            _armed = false;
        }

        // Outside the lock: closing sends each backend its Terminate. A use that began meanwhile keeps its
        // connection until it ends; Npgsql then closes it instead of pooling it, which costs only a reconnect.
        _clear();
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
        }

        _timer.Dispose();
    }
}
