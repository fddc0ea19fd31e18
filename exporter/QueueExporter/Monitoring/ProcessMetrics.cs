using System.Diagnostics;
using System.Globalization;
using Prometheus;

namespace QueueExporter.Monitoring;

/// <summary>
/// The standard <c>process_*</c> metrics every Prometheus exporter serves (CPU, resident and virtual
/// memory, open and maximum file descriptors, start time), under the names the Prometheus client
/// libraries use, so that stock dashboards and alerts work. prometheus-net's own process collector is
/// off (it comes with the runtime's collectors and uses other names); this one reads the values on
/// each scrape. Scrapes may overlap, so the callback only reads and sets: no shared state.
/// </summary>
public static class ProcessMetrics
{
    private const string FileDescriptorDirectory = "/proc/self/fd";
    private const string LimitsFile = "/proc/self/limits";

    /// <summary>Adds the process metrics to <paramref name="registry"/>, refreshed before each collection.</summary>
    public static void Register(CollectorRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        var factory = Metrics.WithCustomRegistry(registry);
        var cpu = factory.CreateCounter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.");
        var resident = factory.CreateGauge("process_resident_memory_bytes", "Resident memory size in bytes.");
        var virtualMemory = factory.CreateGauge("process_virtual_memory_bytes", "Virtual memory size in bytes.");
        var startTime = factory.CreateGauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.");
        var hasFileDescriptors = Directory.Exists(FileDescriptorDirectory);
        var openFds = hasFileDescriptors ? factory.CreateGauge("process_open_fds", "Number of open file descriptors.") : null;
        var maxFds = hasFileDescriptors && ReadMaxOpenFiles() is { } limit ? factory.CreateGauge("process_max_fds", "Maximum number of open file descriptors.") : null;

        using (var process = Process.GetCurrentProcess())
        {
            startTime.Set((process.StartTime.ToUniversalTime() - DateTime.UnixEpoch).TotalSeconds);
        }

        registry.AddBeforeCollectCallback(() =>
        {
            using var process = Process.GetCurrentProcess();
            cpu.IncTo(process.TotalProcessorTime.TotalSeconds);
            resident.Set(process.WorkingSet64);
            virtualMemory.Set(process.VirtualMemorySize64);
            openFds?.Set(CountOpenFileDescriptors());
            if (maxFds is not null && ReadMaxOpenFiles() is { } max)
            {
                maxFds.Set(max);
            }
        });
    }

    private static int CountOpenFileDescriptors()
    {
        try
        {
            return Directory.EnumerateFileSystemEntries(FileDescriptorDirectory).Count();
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>The soft limit from the "Max open files" line of /proc/self/limits; null where unreadable or unlimited.</summary>
    internal static double? ReadMaxOpenFiles()
    {
        try
        {
            foreach (var line in File.ReadLines(LimitsFile))
            {
                if (line.StartsWith("Max open files", StringComparison.Ordinal))
                {
                    var soft = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
                    return double.TryParse(soft, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return null;
    }
}
