using System.Globalization;

namespace QueueExporter.Benchmarks.Rig;

/// <summary>What a user sees of a process, read from /proc: resident memory and CPU time.</summary>
/// <param name="RssMiB">VmRSS: resident now.</param>
/// <param name="PeakRssMiB">VmHWM: the most it was ever resident (what the machine had to find for it).</param>
/// <param name="AnonMiB">RssAnon: heap, stacks, the GC's memory; the part only this process can use.</param>
/// <param name="FileMiB">RssFile: mapped files (the runtime, assemblies), clean pages shared with any other .NET process.</param>
internal readonly record struct ProcessMemory(double RssMiB, double PeakRssMiB, double AnonMiB, double FileMiB)
{
    /// <summary>Reads /proc/<paramref name="pid"/>/status.</summary>
    public static ProcessMemory Of(int pid)
    {
        double rss = 0, peak = 0, anon = 0, file = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                continue;
            }

            var value = line[(colon + 1)..].Trim();
            double MiB() => long.Parse(value.Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0;
            switch (line[..colon])
            {
                case "VmRSS": rss = MiB(); break;
                case "VmHWM": peak = MiB(); break;
                case "RssAnon": anon = MiB(); break;
                case "RssFile": file = MiB(); break;
            }
        }

        return new ProcessMemory(rss, peak, anon, file);
    }

    /// <summary>User + system CPU time of <paramref name="pid"/> so far, from /proc/PID/stat (fields 14 and 15, in clock ticks).</summary>
    public static TimeSpan CpuTime(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        // The command name (field 2) is in parentheses and may hold spaces: count fields after its closing one.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / (double)ClockTicksPerSecond);
    }

    // USER_HZ: 100 on every Linux this runs on (the kernel's ABI keeps it fixed for /proc).
    private const int ClockTicksPerSecond = 100;
}
