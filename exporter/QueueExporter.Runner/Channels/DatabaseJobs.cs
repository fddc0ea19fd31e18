namespace QueueExporter.Runner.Channels;

/// <summary>
/// One database's jobs by uuid. Canonical lowercase uuids (what Odoo writes) live in an open-addressing
/// table of the jobs themselves, keyed by <see cref="ScheduledJob.Uuid"/>: 8 bytes a slot and no entry
/// object, where a <c>Dictionary&lt;Guid, ScheduledJob&gt;</c> spends 36 bytes a job (with a million
/// pending jobs that difference is a fifth of the runner's memory). Any other text falls back to a
/// text-keyed map of <see cref="TextKeyedJob"/>s.
/// <para>
/// Linear probing with backward-shift deletion: no tombstones, so a table that churns through millions of
/// jobs never degrades. The table doubles at 70 % full and halves below 1/8 (each resize rehashes every job
/// once, amortised over the adds or removes that led to it). Slots come from a per-process seeded mix of the
/// uuid, so rows crafted to collide in <see cref="Guid.GetHashCode"/> still spread.
/// </para>
/// </summary>
internal sealed class DatabaseJobs
{
    private const int MinimumSlots = 16;

    private ScheduledJob?[] _slots = new ScheduledJob?[MinimumSlots];
    private int _count;
    private Dictionary<string, TextKeyedJob>? _byText;

    public DatabaseJobs(int index) => Index = index;

    public int Index { get; }

    public ScheduledJob? Find(string uuid) =>
        TryParseCanonical(uuid, out var guid) ? Find(guid, null) : Find(Guid.Empty, uuid);

    /// <summary>The job keyed by <paramref name="uuid"/>, or by <paramref name="text"/> when that is set (not a canonical uuid).</summary>
    public ScheduledJob? Find(Guid uuid, string? text)
    {
        if (text is not null)
        {
            return _byText?.GetValueOrDefault(text);
        }

        var slot = SlotOf(uuid);
        return slot >= 0 ? _slots[slot] : null;
    }

    /// <summary>The job for <paramref name="uuid"/>, created when missing.</summary>
    public ScheduledJob GetOrAdd(string uuid, out bool added) =>
        TryParseCanonical(uuid, out var guid) ? GetOrAdd(guid, null, out added) : GetOrAdd(Guid.Empty, uuid, out added);

    /// <summary>
    /// The job keyed by <paramref name="uuid"/> (or by <paramref name="text"/> when that is set), created when
    /// missing: one probe on the load path, no string and no parse for a canonical uuid.
    /// </summary>
    public ScheduledJob GetOrAdd(Guid uuid, string? text, out bool added)
    {
        if (text is not null)
        {
            _byText ??= new Dictionary<string, TextKeyedJob>(StringComparer.Ordinal);
            added = !_byText.TryGetValue(text, out var textJob);
            if (added)
            {
                textJob = new TextKeyedJob(Index, text);
                _byText.Add(text, textJob);
            }

            return textJob!;
        }

        var mask = _slots.Length - 1;
        for (var i = Home(uuid, mask); ; i = (i + 1) & mask)
        {
            var existing = _slots[i];
            if (existing is null)
            {
                break;
            }

            if (existing.Uuid == uuid)
            {
                added = false;
                return existing;
            }
        }

        added = true;
        var job = new ScheduledJob(Index, uuid);
        if ((_count + 1) * 10L > _slots.Length * 7L)
        {
            Resize(_slots.Length * 2);
        }

        Place(_slots, job);
        _count++;
        return job;
    }

    public void Delete(ScheduledJob job)
    {
        if (job is TextKeyedJob textJob)
        {
            _byText?.Remove(textJob.Text);
            return;
        }

        var slot = SlotOf(job.Uuid);
        if (slot < 0 || !ReferenceEquals(_slots[slot], job))
        {
            return;
        }

        RemoveAt(slot);
        _count--;
        if (_slots.Length > MinimumSlots && _count * 8L < _slots.Length)
        {
            // Release the slots of a drained burst.
            Resize(Math.Max(MinimumSlots, _slots.Length / 2));
        }
    }

    public IEnumerable<ScheduledJob> All()
    {
        foreach (var job in _slots)
        {
            if (job is not null)
            {
                yield return job;
            }
        }

        if (_byText is not null)
        {
            foreach (var job in _byText.Values)
            {
                yield return job;
            }
        }
    }

    private static int Home(Guid uuid, int mask) => HashCode.Combine(uuid) & mask;

    private static void Place(ScheduledJob?[] slots, ScheduledJob job)
    {
        var mask = slots.Length - 1;
        var i = Home(job.Uuid, mask);
        while (slots[i] is not null)
        {
            i = (i + 1) & mask;
        }

        slots[i] = job;
    }

    private int SlotOf(Guid uuid)
    {
        var mask = _slots.Length - 1;
        for (var i = Home(uuid, mask); ; i = (i + 1) & mask)
        {
            var job = _slots[i];
            if (job is null)
            {
                return -1;
            }

            if (job.Uuid == uuid)
            {
                return i;
            }
        }
    }

    // Backward shift: move each later job of the probe run into the hole when its home allows it, so that
    // every job stays reachable from its home without tombstones.
    private void RemoveAt(int hole)
    {
        var mask = _slots.Length - 1;
        var i = hole;
        while (true)
        {
            i = (i + 1) & mask;
            var job = _slots[i];
            if (job is null)
            {
                break;
            }

            var home = Home(job.Uuid, mask);
            // The job may fill the hole unless its home lies cyclically in (hole, i].
            var homeAfterHole = ((home - hole - 1) & mask) < ((i - hole) & mask);
            if (!homeAfterHole)
            {
                _slots[hole] = job;
                hole = i;
            }
        }

        _slots[hole] = null;
    }

    private void Resize(int slots)
    {
        var resized = new ScheduledJob?[slots];
        foreach (var job in _slots)
        {
            if (job is not null)
            {
                Place(resized, job);
            }
        }

        _slots = resized;
    }

    /// <summary>Whether <paramref name="uuid"/> is a canonical lowercase uuid (see <see cref="CanonicalUuid"/>).</summary>
    public static bool TryParseCanonical(string uuid, out Guid guid) => CanonicalUuid.TryParse(uuid, out guid);
}
