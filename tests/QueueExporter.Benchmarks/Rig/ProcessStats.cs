using System.Globalization;
using System.Runtime.InteropServices;

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

    /// <summary>
    /// User + system CPU time of <paramref name="pid"/> so far, to the nanosecond: the process's CPU-time clock
    /// (<c>clock_getcpuclockid</c>), which counts every thread, ended ones too. /proc/PID/stat counts in 10 ms ticks:
    /// fine over a window of thousands of jobs, but a process at rest read 0 or 2 ms/s over 5 s and nothing between.
    /// The ticks remain the fallback where the clock cannot be had.
    /// </summary>
    public static TimeSpan CpuTime(int pid)
    {
        var time = new long[2];
        return NativeMethods.clock_getcpuclockid(pid, out var clock) == 0 && NativeMethods.clock_gettime(clock, time) == 0
            ? TimeSpan.FromTicks(time[0] * TimeSpan.TicksPerSecond + time[1] / 100)
            : CpuTimeInTicks(pid);
    }

    /// <summary>User + system CPU time of <paramref name="pid"/> from /proc/PID/stat (fields 14 and 15, in clock ticks).</summary>
    private static TimeSpan CpuTimeInTicks(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        // The command name (field 2) is in parentheses and may hold spaces: count fields after its closing one.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / (double)ClockTicksPerSecond);
    }

    // USER_HZ: 100 on every Linux this runs on (the kernel's ABI keeps it fixed for /proc).
    private const int ClockTicksPerSecond = 100;

    private static class NativeMethods
    {
#pragma warning disable SYSLIB1054 // LibraryImport needs unsafe code enabled in this project; DllImport with blittable arguments is enough.
        // Returns an error number itself (0 on success), not -1 and errno.
        [DllImport("libc")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        internal static extern int clock_getcpuclockid(int pid, out int clock);

        // struct timespec on 64-bit Linux: tv_sec and tv_nsec, two longs.
        [DllImport("libc")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        internal static extern int clock_gettime(int clock, [Out] long[] time);
#pragma warning restore SYSLIB1054
    }
}
