using System.Buffers.Binary;
using System.Security.Cryptography;

namespace StateChannels.Storage.LiteDb;

/// <summary>
/// The store's commit log (<c>name-commits.ext</c> beside the database file): the record that
/// makes a write durable. After each LiteDB transaction the store appends one frame holding the
/// transaction's document changes (<see cref="RedoRecord"/>) and flushes it to the device; LiteDB's
/// own log is then only a cache, flushed in bulk when the store syncs (see
/// <see cref="LiteDbChannelStore"/>). A commit costs one flush of a small write into space that was
/// written when the file was created, so the device does not have to record a new file length
/// (measured: about half the cost of an appending flush, and one flush instead of LiteDB's two).
/// <para>Layout: a header block (<see cref="HeaderSize"/> bytes: magic, format, capacity, SHA-256),
/// then frames: <c>magic u32 | kind u8 | 3 zero bytes | generation u64 | sequence u64 | length u32 |
/// payload | SHA-256 of everything before it</c>. A generation starts with a
/// <see cref="FrameKind.Generation"/> frame at the first frame offset, written after a sync, and
/// its frames carry its random id and sequence numbers 0, 1, 2, ... A scan stops at the first frame
/// that is torn, stale (another generation, or out of sequence) or blank, so a frame that was being
/// written when the power went is ignored, and so are older generations' leftovers further on.
/// Only the generation's last frame can be torn: a frame is acknowledged after its flush, and the
/// next one is written only after that.</para>
/// Not thread-safe: the store's writer thread (or the opening thread) owns it.
/// </summary>
internal sealed class CommitLog : IDisposable
{
    /// <summary>The header block; frames start right after it.</summary>
    public const int HeaderSize = 4096;

    /// <summary>Frame header (magic, kind, padding, generation, sequence, length) before the payload.</summary>
    public const int FrameHeaderSize = 4 + 4 + 8 + 8 + 4;

    /// <summary>Header plus checksum: what a frame costs beyond its payload.</summary>
    public const int FrameOverhead = FrameHeaderSize + ChecksumSize;

    private const int ChecksumSize = 32;
    private const uint FrameMagic = 0x53434652; // "SCFR"
    private const int FormatVersion = 1;
    private static readonly byte[] HeaderMagic = "StateChannels commit log\n"u8.ToArray();

    private readonly Stream _file;
    private readonly long _capacity;
    private byte[] _buffer = new byte[64 * 1024];
    private long _tail;
    private ulong _generation;
    private ulong _sequence;
    private FrameKind _lastKind;

    private CommitLog(Stream file, long capacity)
    {
        _file = file;
        _capacity = capacity;
    }

    /// <summary>The kinds of frame.</summary>
    public enum FrameKind : byte
    {
        /// <summary>Starts a generation: LiteDB's data file holds everything before it and LiteDB's log is empty.</summary>
        Generation = 1,

        /// <summary>One committed transaction's document changes.</summary>
        Changes = 2,

        /// <summary>LiteDB's log holds every earlier frame's transaction durably and whole; a checkpoint may follow.</summary>
        Synced = 3,
    }

    /// <summary>Bytes a <see cref="FrameKind.Changes"/> frame may still take while leaving room for the closing <see cref="FrameKind.Synced"/> frame.</summary>
    public long Room => _capacity - _tail - FrameOverhead - FrameOverhead;

    /// <summary>The largest payload that fits in an empty generation.</summary>
    public long MaxPayload => _capacity - HeaderSize - (3 * FrameOverhead);

    /// <summary>The kind of the generation's last valid frame.</summary>
    public FrameKind LastKind => _lastKind;

    /// <summary>Opens an existing commit log; false if <paramref name="file"/> holds no valid header (absent, new or never finished).</summary>
    public static bool TryOpen(Stream file, out CommitLog? log, out Recovery recovery)
    {
        log = null;
        recovery = Recovery.Empty;
        long length = file.Length;
        if (length < HeaderSize)
        {
            return false;
        }

        byte[] header = new byte[HeaderSize];
        file.Position = 0;
        file.ReadExactly(header);
        if (!TryReadHeader(header, out long capacity) || capacity > length)
        {
            return false;
        }

        byte[] image = new byte[capacity - HeaderSize];
        file.ReadExactly(image);
        log = new CommitLog(file, capacity);
        recovery = log.Scan(image);
        return true;
    }

    /// <summary>Creates the file's header and fills it to <paramref name="capacity"/> with zeros, durably; then starts a generation.</summary>
    public static CommitLog Create(Stream file, long capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, HeaderSize + (16 * 1024));
        file.SetLength(0);
        file.Position = 0;
        byte[] zeros = new byte[256 * 1024];
        for (long written = 0; written < capacity; written += zeros.Length)
        {
            file.Write(zeros, 0, (int)Math.Min(zeros.Length, capacity - written));
        }

        DeviceFlush.Flush(file);

        // The header last: a file without it is "never finished", and the next open creates it again.
        byte[] header = new byte[HeaderSize];
        HeaderMagic.CopyTo(header, 0);
        int at = HeaderMagic.Length;
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(at), FormatVersion);
        BinaryPrimitives.WriteInt64BigEndian(header.AsSpan(at + 4), capacity);
        SHA256.HashData(header.AsSpan(0, at + 12), header.AsSpan(at + 12, ChecksumSize));
        file.Position = 0;
        file.Write(header);
        DeviceFlush.Flush(file);

        var log = new CommitLog(file, capacity);
        log.StartGeneration();
        return log;
    }

    /// <summary>Starts a new generation at the first frame offset, durably (after a sync: LiteDB's data file holds everything).</summary>
    public void StartGeneration()
    {
        _generation = BinaryPrimitives.ReadUInt64BigEndian(RandomNumberGenerator.GetBytes(8));
        _sequence = 0;
        _tail = HeaderSize;
        Append(FrameKind.Generation, ReadOnlySpan<byte>.Empty);
    }

    /// <summary>Appends a frame and flushes it to the device. The caller checks <see cref="Room"/> first.</summary>
    public void Append(FrameKind kind, ReadOnlySpan<byte> payload)
    {
        int size = FrameOverhead + payload.Length;
        if (_tail + size > _capacity)
        {
            throw new InvalidOperationException($"A {size}-byte frame does not fit in the commit log ({_capacity - _tail} bytes left).");
        }

        if (_buffer.Length < size)
        {
            _buffer = new byte[Math.Max(size, _buffer.Length * 2)];
        }

        Span<byte> frame = _buffer.AsSpan(0, size);
        BinaryPrimitives.WriteUInt32BigEndian(frame, FrameMagic);
        frame[4] = (byte)kind;
        frame[5] = frame[6] = frame[7] = 0;
        BinaryPrimitives.WriteUInt64BigEndian(frame[8..], _generation);
        BinaryPrimitives.WriteUInt64BigEndian(frame[16..], _sequence);
        BinaryPrimitives.WriteInt32BigEndian(frame[24..], payload.Length);
        payload.CopyTo(frame[FrameHeaderSize..]);
        SHA256.HashData(frame[..(FrameHeaderSize + payload.Length)], frame[(FrameHeaderSize + payload.Length)..]);

        _file.Position = _tail;
        _file.Write(frame);
        DeviceFlush.Flush(_file);
        _tail += size;
        _sequence++;
        _lastKind = kind;
    }

    public void Dispose() => _file.Dispose();

    private static bool TryReadHeader(ReadOnlySpan<byte> header, out long capacity)
    {
        capacity = 0;
        int at = HeaderMagic.Length;
        if (!header[..at].SequenceEqual(HeaderMagic)
            || BinaryPrimitives.ReadInt32BigEndian(header[at..]) != FormatVersion)
        {
            return false;
        }

        Span<byte> hash = stackalloc byte[ChecksumSize];
        SHA256.HashData(header[..(at + 12)], hash);
        if (!hash.SequenceEqual(header.Slice(at + 12, ChecksumSize)))
        {
            return false;
        }

        capacity = BinaryPrimitives.ReadInt64BigEndian(header[(at + 4)..]);
        return capacity >= HeaderSize;
    }

    /// <summary>Reads the current generation: its change payloads in order and whether it ends with a sync.</summary>
    private Recovery Scan(byte[] image)
    {
        var changes = new List<byte[]>();
        int at = 0;
        ulong? generation = null;
        ulong expected = 0;
        FrameKind last = 0;
        Span<byte> hash = stackalloc byte[ChecksumSize];
        while (at + FrameOverhead <= image.Length)
        {
            ReadOnlySpan<byte> head = image.AsSpan(at, FrameHeaderSize);
            if (BinaryPrimitives.ReadUInt32BigEndian(head) != FrameMagic)
            {
                break;
            }

            var kind = (FrameKind)head[4];
            ulong frameGeneration = BinaryPrimitives.ReadUInt64BigEndian(head[8..]);
            ulong sequence = BinaryPrimitives.ReadUInt64BigEndian(head[16..]);
            int length = BinaryPrimitives.ReadInt32BigEndian(head[24..]);
            if (length < 0 || at + FrameOverhead + (long)length > image.Length || sequence != expected
                || (generation is { } g ? frameGeneration != g : kind != FrameKind.Generation))
            {
                break;
            }

            SHA256.HashData(image.AsSpan(at, FrameHeaderSize + length), hash);
            if (!hash.SequenceEqual(image.AsSpan(at + FrameHeaderSize + length, ChecksumSize)))
            {
                break;
            }

            if (kind == FrameKind.Changes)
            {
                changes.Add(image.AsSpan(at + FrameHeaderSize, length).ToArray());
            }
            else if (kind is not (FrameKind.Generation or FrameKind.Synced))
            {
                break;
            }

            generation = frameGeneration;
            last = kind;
            expected++;
            at += FrameOverhead + length;
        }

        if (generation is null)
        {
            // No valid generation: the file was just created or its first frame is torn. Start one.
            StartGeneration();
            return Recovery.Empty;
        }

        _generation = generation.Value;
        _sequence = expected;
        _tail = HeaderSize + at;
        _lastKind = last;
        return new Recovery(changes, last == FrameKind.Synced);
    }

    /// <summary>What an open finds in the current generation.</summary>
    /// <param name="Changes">The change payloads of its frames, in order.</param>
    /// <param name="EndsSynced">Whether its last frame is <see cref="FrameKind.Synced"/>: LiteDB's log is durable and whole, and must be kept.</param>
    public sealed record Recovery(IReadOnlyList<byte[]> Changes, bool EndsSynced)
    {
        public static Recovery Empty { get; } = new([], false);
    }
}
