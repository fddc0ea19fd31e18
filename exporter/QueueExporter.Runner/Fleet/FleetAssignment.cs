using System.Text;

namespace QueueExporter.Runner.Fleet;

/// <summary>
/// Which replica of a fleet should lead which database: pure, so that every replica that sees the same
/// members and databases computes the same answer without talking to the others.
/// <para>
/// Rendezvous hashing with bounded loads: each database ranks the members by a stable hash of
/// (database, slot) and goes to the best-ranked member that has fewer than ⌈D/N⌉ databases so far,
/// databases taken in name order. So no member gets more than ⌈D/N⌉ (the fleet issue allows ⌈D/N⌉ + 1),
/// and when a member joins or leaves, most databases keep their leader: only those whose ranking
/// prefers the newcomer, or that belonged to the one that left, move (plus a few pushed by the bound).
/// </para>
/// The assignment only says who should try; the leader of a database is always whoever holds OCA's lock
/// on it, so two replicas with different views for a moment cost a delay, never a second leader.
/// </summary>
public static class FleetAssignment
{
    /// <summary>Maps each database to the slot of the member that should lead it.</summary>
    /// <param name="databases">Every database the fleet serves (any order; duplicates ignored).</param>
    /// <param name="members">The slots of the live members (any order; duplicates ignored).</param>
    public static IReadOnlyDictionary<string, int> Assign(IEnumerable<string> databases, IEnumerable<int> members)
    {
        ArgumentNullException.ThrowIfNull(databases);
        ArgumentNullException.ThrowIfNull(members);
        var slots = members.Distinct().Order().ToArray();
        var names = databases.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var assignment = new Dictionary<string, int>(names.Length, StringComparer.Ordinal);
        if (slots.Length == 0)
        {
            return assignment;
        }

        var bound = (names.Length + slots.Length - 1) / slots.Length;
        var load = new int[slots.Length];
        var ranking = new (ulong Weight, int Index)[slots.Length];
        foreach (var name in names)
        {
            var nameHash = Hash(name);
            for (var i = 0; i < slots.Length; i++)
            {
                ranking[i] = (Mix(nameHash ^ Mix((ulong)slots[i] + 0x9E3779B97F4A7C15UL)), i);
            }

            // Highest weight first; ties (practically never) by slot, so the order is total.
            Array.Sort(ranking, static (a, b) => b.Weight != a.Weight ? b.Weight.CompareTo(a.Weight) : a.Index.CompareTo(b.Index));
            foreach (var (_, index) in ranking)
            {
                if (load[index] < bound)
                {
                    load[index]++;
                    assignment[name] = slots[index];
                    break;
                }
            }
        }

        return assignment;
    }

    /// <summary>The databases <paramref name="slot"/> should lead.</summary>
    public static IReadOnlySet<string> For(int slot, IEnumerable<string> databases, IEnumerable<int> members) =>
        Assign(databases, members).Where(a => a.Value == slot).Select(a => a.Key).ToHashSet(StringComparer.Ordinal);

    // FNV-1a over the UTF-8 bytes, then a finaliser: stable across processes, versions and platforms
    // (string.GetHashCode is randomised per process, so replicas would disagree).
    private static ulong Hash(string value)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        return Mix(hash);
    }

    // splitmix64's finaliser: spreads nearby inputs (slot 1 vs 2) over the whole range.
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
