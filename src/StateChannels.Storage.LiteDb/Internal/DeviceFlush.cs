using System.Runtime.InteropServices;

namespace StateChannels.Storage.LiteDb;

/// <summary>
/// Flushes a file's written data to the device. On Linux a <see cref="FileStream"/> is flushed with
/// <c>fdatasync(2)</c>, which skips the inode's timestamps (an fsync would make the file system
/// journal them on every commit) but still records a changed length; elsewhere with
/// <c>Flush(true)</c>. Any other stream (test doubles) with <c>Flush()</c>, which must mean "to the device".
/// </summary>
internal static class DeviceFlush
{
    public static void Flush(Stream stream)
    {
        if (stream is not FileStream file)
        {
            stream.Flush();
            return;
        }

        if (!OperatingSystem.IsLinux())
        {
            file.Flush(flushToDisk: true);
            return;
        }

        file.Flush(flushToDisk: false);
        FlushHandle(file.SafeFileHandle);
    }

    /// <summary>
    /// Flushes an open file's written data by its handle: safe while another thread writes to the
    /// file (the kernel orders them), unlike a <see cref="FileStream"/> method. Linux only.
    /// </summary>
    public static void FlushHandle(Microsoft.Win32.SafeHandles.SafeFileHandle handle)
    {
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            if (Fdatasync((int)handle.DangerousGetHandle()) != 0)
            {
                throw new IOException($"fdatasync failed (errno {Marshal.GetLastPInvokeError()}).");
            }
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    [DllImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static extern int Fdatasync(int fd);
}
