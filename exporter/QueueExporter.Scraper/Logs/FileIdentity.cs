using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace QueueExporter.Scraper.Logs;

/// <summary>
/// The (device, inode) pair of a file, which is how <c>tail -F</c> tells that the name now points
/// to a new file (rotation by rename). .NET exposes no inode, so this asks libc; where that is not
/// possible (not Linux x64/arm64, or an old glibc) it returns null and the tailer falls back to
/// noticing truncation only.
/// </summary>
internal readonly record struct FileIdentity(ulong Device, ulong Inode)
{
    // struct stat is larger than this on every Linux ABI; st_dev and st_ino are its first two
    // 64-bit fields on x86_64 and on the generic (arm64) layout.
    private const int StatBufferSize = 256;

    private static bool s_available = RuntimeInformation.IsOSPlatform(OSPlatform.Linux)
        && RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64;

    public static FileIdentity? OfPath(string path)
    {
        if (!s_available)
        {
            return null;
        }

        var buffer = new byte[StatBufferSize];
        try
        {
            return NativeMethods.stat(path, buffer) == 0 ? FromBuffer(buffer) : null;
        }
        catch (EntryPointNotFoundException)
        {
            s_available = false;
            return null;
        }
    }

    public static FileIdentity? OfHandle(SafeFileHandle handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        if (!s_available)
        {
            return null;
        }

        var buffer = new byte[StatBufferSize];
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            return NativeMethods.fstat((int)handle.DangerousGetHandle(), buffer) == 0 ? FromBuffer(buffer) : null;
        }
        catch (EntryPointNotFoundException)
        {
            s_available = false;
            return null;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    private static FileIdentity FromBuffer(byte[] buffer) =>
        new(BitConverter.ToUInt64(buffer, 0), BitConverter.ToUInt64(buffer, 8));

    private static class NativeMethods
    {
        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
#pragma warning disable SYSLIB1054 // LibraryImport needs unsafe code enabled for this one call; DllImport with a blittable array is enough.
        internal static extern int stat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, [Out] byte[] buffer);

        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        internal static extern int fstat(int fd, [Out] byte[] buffer);
#pragma warning restore SYSLIB1054
    }
}
