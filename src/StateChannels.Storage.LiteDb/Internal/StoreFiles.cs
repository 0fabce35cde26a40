using System.Runtime.InteropServices;

namespace StateChannels.Storage.LiteDb;

/// <summary>Opening the two files of a store: the data file and LiteDB's log beside it.</summary>
internal static class StoreFiles
{
    /// <summary>LiteDB's own log file name (<c>name-log.ext</c>), so plain LiteDB tools open the pair too.</summary>
    public static string LogPathOf(string dataPath)
    {
        string directory = Path.GetDirectoryName(dataPath) ?? string.Empty;
        return Path.Combine(directory, Path.GetFileNameWithoutExtension(dataPath) + "-log" + Path.GetExtension(dataPath));
    }

    /// <summary>
    /// Opens a file exclusively (a second store on the same file fails instead of corrupting it)
    /// and unbuffered (every write goes to the OS at once; the store decides when it reaches the device).
    /// When the file is new, its directory entry is made durable too.
    /// </summary>
    /// <summary>The commit log beside the data file: <c>name-commits.ext</c>.</summary>
    public static string CommitLogPathOf(string dataPath)
    {
        string directory = Path.GetDirectoryName(dataPath) ?? string.Empty;
        return Path.Combine(directory, Path.GetFileNameWithoutExtension(dataPath) + "-commits" + Path.GetExtension(dataPath));
    }

    public static Stream OpenExclusive(string path)
    {
        bool existed = File.Exists(path);
        var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 0, FileOptions.None);
        if (!existed)
        {
            try
            {
                SyncDirectory(Path.GetDirectoryName(path)!);
            }
            catch
            {
                stream.Dispose();
                throw;
            }
        }

        return stream;
    }

    /// <summary>fsync of a directory, so a file just created in it survives a power loss (POSIX only; NTFS journals it).</summary>
    private static void SyncDirectory(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        int fd = NativeMethods.Open(directory, 0 /* O_RDONLY */);
        if (fd < 0)
        {
            throw new IOException($"Cannot open directory {directory} to flush it (errno {Marshal.GetLastPInvokeError()}).");
        }

        try
        {
            if (NativeMethods.Fsync(fd) != 0)
            {
                throw new IOException($"Cannot flush directory {directory} (errno {Marshal.GetLastPInvokeError()}).");
            }
        }
        finally
        {
            _ = NativeMethods.Close(fd);
        }
    }

    private static class NativeMethods
    {
        public static int Open(string path, int flags)
        {
            // A NUL-terminated UTF-8 path as a byte array: no string marshalling involved.
            byte[] utf8 = new byte[System.Text.Encoding.UTF8.GetByteCount(path) + 1];
            System.Text.Encoding.UTF8.GetBytes(path, utf8);
            return OpenNative(utf8, flags);
        }

        [DllImport("libc", EntryPoint = "open", SetLastError = true)]
        public static extern int OpenNative(byte[] path, int flags);

        [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
        public static extern int Fsync(int fd);

        [DllImport("libc", EntryPoint = "close", SetLastError = true)]
        public static extern int Close(int fd);
    }
}
