using System.Globalization;

namespace QueueExporter.Benchmarks.Rig;

/// <summary>
/// Where a machine's CPU went over a window, from /proc: the whole machine (busy and idle, all cores),
/// the PostgreSQL cluster (the postmaster and every backend, exited ones included through the postmaster's
/// reaped-children times), and this harness (producers, relays, metrics scrapes, and any child it reaped,
/// pgbench for one). A throughput ratio on a machine the flow shares with PostgreSQL only means something
/// next to this: it tells a flow that is CPU-bound (no idle left) from one that waits (idle left).
/// </summary>
internal readonly record struct CpuBudget(TimeSpan MachineBusy, TimeSpan MachineIdle, TimeSpan Postgres, TimeSpan Harness)
{
    /// <summary>The counters now; subtract two of them for a window.</summary>
    public static CpuBudget Read(int postmasterPid)
    {
        var (busy, idle) = Machine();
        var postgres = Total(postmasterPid, withReapedChildren: true);
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            var name = Path.GetFileName(directory);
            if (name.Length == 0 || !char.IsAsciiDigit(name[0]) || !int.TryParse(name, out var pid) || pid == postmasterPid)
            {
                continue;
            }

            // A process may exit between the listing and the read: it then counts in the postmaster's reaped children.
            if (Stat(pid) is { } fields && fields[1] == postmasterPid.ToString(CultureInfo.InvariantCulture))
            {
                postgres += Ticks(fields, 11) + Ticks(fields, 12);
            }
        }

        return new CpuBudget(busy, idle, postgres, Total(Environment.ProcessId, withReapedChildren: true));
    }

    public static CpuBudget operator -(CpuBudget after, CpuBudget before) =>
        new(after.MachineBusy - before.MachineBusy, after.MachineIdle - before.MachineIdle, after.Postgres - before.Postgres, after.Harness - before.Harness);

    /// <summary>Idle share of all cores over the window, 0 to 1.</summary>
    public double IdleShare => MachineIdle / (MachineBusy + MachineIdle);

    private static TimeSpan Total(int pid, bool withReapedChildren)
    {
        if (Stat(pid) is not { } fields)
        {
            return TimeSpan.Zero;
        }

        var total = Ticks(fields, 11) + Ticks(fields, 12);
        return withReapedChildren ? total + Ticks(fields, 13) + Ticks(fields, 14) : total;
    }

    // Fields after the command name's closing parenthesis: [0] state, [1] ppid, ..., [11] utime, [12] stime, [13] cutime, [14] cstime.
    private static string[]? Stat(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static TimeSpan Ticks(string[] fields, int index) =>
        TimeSpan.FromSeconds(long.Parse(fields[index], CultureInfo.InvariantCulture) / (double)ClockTicksPerSecond);

    // The first line of /proc/stat: user nice system idle iowait irq softirq steal ... in USER_HZ, summed over cores.
    private static (TimeSpan Busy, TimeSpan Idle) Machine()
    {
        var line = File.ReadLines("/proc/stat").First();
        var values = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8)
            .Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        var idle = values[3] + values[4];
        var busy = values.Sum() - idle;
        return (TimeSpan.FromSeconds(busy / (double)ClockTicksPerSecond), TimeSpan.FromSeconds(idle / (double)ClockTicksPerSecond));
    }

    // USER_HZ: 100 on every Linux this runs on (the kernel's ABI keeps it fixed for /proc).
    private const int ClockTicksPerSecond = 100;
}
