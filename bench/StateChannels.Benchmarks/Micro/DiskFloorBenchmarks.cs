using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;

namespace StateChannels.Benchmarks.Micro;

/// <summary>
/// The disk floor: one durable 4 KiB write. <see cref="FsyncRewrite4K"/> rewrites the same page
/// of a preallocated file and calls <c>Flush(true)</c> (fsync on Linux): what a write-ahead log
/// over preallocated space pays. <see cref="AppendFdatasync4K"/> appends a page and calls
/// fdatasync: the file grows, so the file system must also journal its new size.
/// </summary>
public partial class DiskFloorBenchmarks
{
    private const int Page = 4096;

    // 16 MiB of appends, then the file starts again from empty: keeps the scratch space bounded.
    private const long AppendLimit = 16L << 20;

    private readonly byte[] _page = new byte[Page];
    private string _dir = "";
    private FileStream _rewrite = null!;
    private FileStream _append = null!;

    [GlobalSetup]
    public void Setup()
    {
        Random.Shared.NextBytes(_page);
        _dir = Scratch.CreateDirectory("fsync");
        _rewrite = Open(Path.Combine(_dir, "rewrite.bin"));
        _rewrite.Write(_page);
        _rewrite.Flush(flushToDisk: true);
        _append = Open(Path.Combine(_dir, "append.bin"));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _rewrite.Dispose();
        _append.Dispose();
        Scratch.Delete(_dir);
    }

    [Benchmark(Baseline = true)]
    public void FsyncRewrite4K()
    {
        _rewrite.Position = 0;
        _rewrite.Write(_page);
        _rewrite.Flush(flushToDisk: true);
    }

    [Benchmark]
    public void AppendFdatasync4K()
    {
        if (_append.Length >= AppendLimit)
        {
            _append.SetLength(0);
        }

        _append.Position = _append.Length;
        _append.Write(_page);
        if (Fdatasync((int)_append.SafeFileHandle.DangerousGetHandle()) != 0)
        {
            throw new IOException($"fdatasync failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    // Unbuffered: every Write is one write(2), so the flush is the only extra cost measured.
    private static FileStream Open(string path) =>
        new(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None, bufferSize: 0, FileOptions.None);

    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static partial int Fdatasync(int fd);
}
