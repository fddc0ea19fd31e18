namespace QueueExporter.Runner.Channels;

/// <summary>How a <see cref="JobHeap"/> orders its jobs.</summary>
internal enum JobHeapOrder
{
    Priority,
    Eta,
}

/// <summary>
/// A binary min-heap of jobs that records each job's slot in <see cref="ScheduledJob.HeapIndex"/>, so
/// that removing or re-prioritising an arbitrary job is O(log n) instead of a scan. A job is in at most
/// one heap at a time (its state says which).
/// </summary>
internal sealed class JobHeap
{
    private readonly JobHeapOrder _order;
    private ScheduledJob[] _items = [];

    public JobHeap(JobHeapOrder order) => _order = order;

    public int Count { get; private set; }

    public ScheduledJob? Peek() => Count == 0 ? null : _items[0];

    public void Add(ScheduledJob job)
    {
        if (Count == _items.Length)
        {
            Array.Resize(ref _items, Math.Max(16, _items.Length * 2));
        }

        _items[Count] = job;
        job.HeapIndex = Count;
        Count++;
        SiftUp(Count - 1);
    }

    public ScheduledJob Pop()
    {
        var top = _items[0];
        RemoveAt(0);
        return top;
    }

    public void Remove(ScheduledJob job)
    {
        var index = job.HeapIndex;
        if (index < 0 || index >= Count || !ReferenceEquals(_items[index], job))
        {
            throw new InvalidOperationException("job is not in this heap");
        }

        RemoveAt(index);
    }

    /// <summary>Drops every job; used when a database's jobs are forgotten wholesale.</summary>
    public void RemoveWhere(Func<ScheduledJob, bool> predicate)
    {
        var kept = 0;
        for (var i = 0; i < Count; i++)
        {
            var job = _items[i];
            if (predicate(job))
            {
                job.HeapIndex = -1;
            }
            else
            {
                _items[kept++] = job;
            }
        }

        Array.Clear(_items, kept, Count - kept);
        Count = kept;
        for (var i = 0; i < Count; i++)
        {
            _items[i].HeapIndex = i;
        }

        for (var i = (Count / 2) - 1; i >= 0; i--)
        {
            SiftDown(i);
        }

        ShrinkIfSparse();
    }

    private void RemoveAt(int index)
    {
        var removed = _items[index];
        removed.HeapIndex = -1;
        Count--;
        if (index != Count)
        {
            var last = _items[Count];
            _items[index] = last;
            last.HeapIndex = index;
            _items[Count] = null!;
            if (index > 0 && Less(last, _items[(index - 1) / 2]))
            {
                SiftUp(index);
            }
            else
            {
                SiftDown(index);
            }
        }
        else
        {
            _items[Count] = null!;
        }

        ShrinkIfSparse();
    }

    // A burst of a million jobs that then drains should not pin a million-slot array forever.
    private void ShrinkIfSparse()
    {
        if (_items.Length > 1024 && Count < _items.Length / 4)
        {
            Array.Resize(ref _items, _items.Length / 2);
        }
    }

    private bool Less(ScheduledJob a, ScheduledJob b) => _order == JobHeapOrder.Priority
        ? ScheduledJob.CompareByPriority(a, b) < 0
        : ScheduledJob.CompareByEta(a, b) < 0;

    private void SiftUp(int index)
    {
        var job = _items[index];
        while (index > 0)
        {
            var parentIndex = (index - 1) / 2;
            var parent = _items[parentIndex];
            if (!Less(job, parent))
            {
                break;
            }

            _items[index] = parent;
            parent.HeapIndex = index;
            index = parentIndex;
        }

        _items[index] = job;
        job.HeapIndex = index;
    }

    private void SiftDown(int index)
    {
        var job = _items[index];
        while (true)
        {
            var child = (2 * index) + 1;
            if (child >= Count)
            {
                break;
            }

            if (child + 1 < Count && Less(_items[child + 1], _items[child]))
            {
                child++;
            }

            if (!Less(_items[child], job))
            {
                break;
            }

            _items[index] = _items[child];
            _items[index].HeapIndex = index;
            index = child;
        }

        _items[index] = job;
        job.HeapIndex = index;
    }
}
