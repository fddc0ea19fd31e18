using System.Runtime.InteropServices;

namespace QueueExporter.Runner.Channels;

/// <summary>
/// One database's jobs by uuid. Canonical lowercase uuids (what Odoo writes) are keyed as
/// <see cref="Guid"/> (16 bytes, no string kept); anything else falls back to a text-keyed map.
/// </summary>
internal sealed class DatabaseJobs
{
    private readonly Dictionary<Guid, ScheduledJob> _byGuid = [];
    private Dictionary<string, ScheduledJob>? _byText;

    public DatabaseJobs(int index) => Index = index;

    public int Index { get; }

    public ScheduledJob? Find(string uuid)
    {
        if (TryParseCanonical(uuid, out var guid))
        {
            return _byGuid.GetValueOrDefault(guid);
        }

        return _byText?.GetValueOrDefault(uuid);
    }

    /// <summary>The job for <paramref name="uuid"/>, created when missing: one parse and one hash lookup on the load path.</summary>
    public ScheduledJob GetOrAdd(string uuid, out bool added)
    {
        if (TryParseCanonical(uuid, out var guid))
        {
            ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_byGuid, guid, out var exists);
            added = !exists;
            return slot ??= new ScheduledJob(Index, guid, uuidText: null);
        }

        ref var textSlot = ref CollectionsMarshal.GetValueRefOrAddDefault(_byText ??= new Dictionary<string, ScheduledJob>(StringComparer.Ordinal), uuid, out var textExists);
        added = !textExists;
        return textSlot ??= new ScheduledJob(Index, Guid.Empty, uuid);
    }

    /// <summary>Room for <paramref name="count"/> canonical uuids (what Odoo writes) without a rehash.</summary>
    public void EnsureCapacity(int count) => _byGuid.EnsureCapacity(count);

    public void Delete(ScheduledJob job)
    {
        if (job.UuidText is null)
        {
            _byGuid.Remove(job.Uuid);
        }
        else
        {
            _byText?.Remove(job.UuidText);
        }

        if (_byGuid.Count == 0)
        {
            // Release the buckets of a drained burst.
            _byGuid.TrimExcess();
        }
    }

    public IEnumerable<ScheduledJob> All() => _byText is null ? _byGuid.Values : _byGuid.Values.Concat(_byText.Values);

    // Only the exact lowercase 36-character form round-trips through Guid.ToString("D"); anything else keeps its text.
    private static bool TryParseCanonical(string uuid, out Guid guid)
    {
        if (uuid.Length == 36 && Guid.TryParseExact(uuid, "D", out guid))
        {
            foreach (var ch in uuid)
            {
                if (ch is >= 'A' and <= 'F')
                {
                    guid = default;
                    return false;
                }
            }

            return true;
        }

        guid = default;
        return false;
    }
}
