namespace QueueExporter.Runner.Dispatch;

/// <summary>
/// The notifications the runner's own enqueue UPDATE will cause, so that the database's reader can skip
/// re-reading them: the loop already counts a dispatched job as running, and "enqueued" says nothing new.
/// <para>
/// Why skipping cannot hide someone else's change: the dispatcher expects one echo per job <i>before</i> its
/// UPDATE is sent, so the echo can never arrive first, and withdraws it for every job the UPDATE did not move
/// (those are re-read anyway). Notifications arrive in commit order, and the expectation swallows only the
/// first one of that job to arrive: if anyone else changes the row too, before or after our write, that job
/// has one notification more than was expected, and the last one to arrive is always re-read, after every
/// commit that notified. Only when our UPDATE was the one change is nothing re-read, and then nothing was missed.
/// </para>
/// <para>
/// After a job's echo, its next notification is, with Odoo's worker and ours, the worker's "started": that one
/// is set apart as deferrable (<see cref="Database.DeferredRereads"/>), so that it can ride along with another
/// read or with the job's "done". It is still read, only later; deferring never skips.
/// </para>
/// Expectations belong to one lease: a new lease (a new listening session: notifications of the old one are
/// lost) starts with none, so an expectation whose echo never came can never swallow a later notification.
/// At most one expectation per job in flight; thread-safe (dispatch tasks expect, the reader consumes).
/// </summary>
internal sealed class EnqueueEchoes
{
    private readonly Dictionary<string, int> _expected = new(StringComparer.Ordinal);

    // Jobs whose echo arrived: their next notification is deferrable. At most the jobs dispatched and not yet
    // notified again under this lease (a job's next notification, a withdrawal or a new lease removes it).
    private readonly HashSet<string> _echoed = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private long _epoch;

    /// <summary>Jobs expected now, for tests and diagnostics.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _expected.Count;
            }
        }
    }

    /// <summary>Starts the lease <paramref name="epoch"/> with no expectation (the reader calls it when it first serves that lease).</summary>
    public void BeginLease(long epoch)
    {
        lock (_lock)
        {
            if (_epoch != epoch)
            {
                _epoch = epoch;
                _expected.Clear();
                _expected.TrimExcess();
                _echoed.Clear();
                _echoed.TrimExcess();
            }
        }
    }

    /// <summary>Before the enqueue UPDATE of <paramref name="uuids"/> under lease <paramref name="epoch"/>: one echo each.</summary>
    public void Expect(long epoch, IReadOnlyList<string> uuids)
    {
        lock (_lock)
        {
            if (epoch != _epoch)
            {
                return;
            }

            for (var i = 0; i < uuids.Count; i++)
            {
                _expected[uuids[i]] = _expected.GetValueOrDefault(uuids[i]) + 1;
            }
        }
    }

    /// <summary>The UPDATE did not move this job (or failed): no echo of ours is coming.</summary>
    public void Withdraw(long epoch, string uuid) => ReadNextAtOnce(epoch, uuid);

    /// <summary>
    /// Before the dispatcher puts a job it could not hand over back to pending: that change must be read at once,
    /// not deferred as a "started" would be. An echo still to come is then read too (one read more, in a failure path).
    /// </summary>
    public void Resetting(long epoch, string uuid) => ReadNextAtOnce(epoch, uuid);

    private void ReadNextAtOnce(long epoch, string uuid)
    {
        lock (_lock)
        {
            if (epoch == _epoch)
            {
                Consume(uuid);
                _echoed.Remove(uuid);
            }
        }
    }

    /// <summary>
    /// The notified uuids that must be re-read now: <paramref name="notified"/> minus one expected echo per job,
    /// and minus the first notification after a job's echo, which goes to <paramref name="deferrable"/> instead.
    /// Returns <paramref name="notified"/> itself when nothing is expected (the common case costs no copy).
    /// </summary>
    public IReadOnlyCollection<string> WithoutEchoes(long epoch, IReadOnlyCollection<string> notified, List<string> deferrable)
    {
        ArgumentNullException.ThrowIfNull(deferrable);
        lock (_lock)
        {
            if (epoch != _epoch || (_expected.Count == 0 && _echoed.Count == 0))
            {
                return notified;
            }

            List<string>? left = null;
            var index = 0;
            foreach (var uuid in notified)
            {
                if (Consume(uuid))
                {
                    _echoed.Add(uuid);
                    left ??= CopyOfFirst(notified, index);
                }
                else if (_echoed.Remove(uuid))
                {
                    deferrable.Add(uuid);
                    left ??= CopyOfFirst(notified, index);
                }
                else
                {
                    left?.Add(uuid);
                }

                index++;
            }

            return left ?? notified;
        }
    }

    private static List<string> CopyOfFirst(IReadOnlyCollection<string> notified, int count)
    {
        var copy = new List<string>(notified.Count);
        foreach (var uuid in notified)
        {
            if (copy.Count == count)
            {
                break;
            }

            copy.Add(uuid);
        }

        return copy;
    }

    private bool Consume(string uuid)
    {
        if (!_expected.TryGetValue(uuid, out var count))
        {
            return false;
        }

        if (count <= 1)
        {
            _expected.Remove(uuid);
        }
        else
        {
            _expected[uuid] = count - 1;
        }

        return true;
    }
}
