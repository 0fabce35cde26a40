using System.Collections.Concurrent;

namespace StateChannels.Storage.LiteDb.Tests;

/// <summary>What happened to a device, in order.</summary>
internal enum DeviceEventKind
{
    Write,
    FlushToDevice,
    SetLength,
}

/// <summary>One operation on a recorded file.</summary>
/// <param name="Confirmed">For a write of one LiteDB page: its "confirmed" flag (the page ends a committed transaction).</param>
/// <param name="Frame">For a write of a commit log frame: its kind; else 0.</param>
internal sealed record DeviceEvent(long Sequence, string File, DeviceEventKind Kind, long Position, long Length, bool Confirmed = false, CommitLog.FrameKind Frame = 0);

/// <summary>The shared, ordered journal of every <see cref="RecordingStream"/> of a test.</summary>
internal sealed class DeviceJournal
{
    private readonly ConcurrentQueue<DeviceEvent> _events = new();
    private long _sequence;

    /// <summary>Delays each write, as a slow disk would (makes LiteDB's background log writer lag behind commits).</summary>
    public TimeSpan WriteDelay { get; set; }

    public long Position => Interlocked.Read(ref _sequence);

    public IReadOnlyList<DeviceEvent> Events => _events.ToArray();

    public IReadOnlyList<DeviceEvent> Since(long position) => _events.Where(e => e.Sequence > position).OrderBy(e => e.Sequence).ToList();

    public void Record(string file, DeviceEventKind kind, long position, long length, bool confirmed = false, CommitLog.FrameKind frame = 0) =>
        _events.Enqueue(new DeviceEvent(Interlocked.Increment(ref _sequence), file, kind, position, length, confirmed, frame));

    /// <summary>A file opener for <c>LiteDbStoreOptions.FileOpener</c>: real files, journaled.</summary>
    public Func<string, Stream> Opener => path => new RecordingStream(
        new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 0), Path.GetFileName(path), this);
}

/// <summary>A file whose writes and device flushes are journaled. <see cref="Flush"/> is a real flush to the device.</summary>
internal sealed class RecordingStream(FileStream inner, string name, DeviceJournal journal) : Stream
{
    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => true;

    public override long Length => inner.Length;

    public override long Position
    {
        get => inner.Position;
        set => inner.Position = value;
    }

    public override void Flush()
    {
        inner.Flush(flushToDisk: true);
        journal.Record(name, DeviceEventKind.FlushToDevice, 0, inner.Length);
    }

    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

    public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);

    public override void SetLength(long value)
    {
        inner.SetLength(value);
        journal.Record(name, DeviceEventKind.SetLength, value, 0);
    }

    public override void Write(byte[] buffer, int offset, int count)
    {
        if (journal.WriteDelay > TimeSpan.Zero)
        {
            Thread.Sleep(journal.WriteDelay);
        }

        long position = inner.Position;
        inner.Write(buffer, offset, count);
        bool frame = name.EndsWith("-commits.db", StringComparison.Ordinal) && position >= CommitLog.HeaderSize && count > 4;
        journal.Record(
            name,
            DeviceEventKind.Write,
            position,
            count,
            !frame && count == StoreDocuments.PageSize && buffer[offset + 18] != 0,
            frame ? (CommitLog.FrameKind)buffer[offset + 4] : 0);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
