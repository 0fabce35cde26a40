using System.Buffers;

namespace StateChannels.Net.Framing;

/// <summary>A queued frame: its kind and, for data, a payload in a buffer rented from <see cref="ArrayPool{T}.Shared"/>.</summary>
internal readonly struct Frame
{
    private Frame(FrameKind kind, byte[]? buffer, int length)
    {
        Kind = kind;
        Buffer = buffer;
        Length = length;
    }

    public FrameKind Kind { get; }

    /// <summary>The rented buffer, or <see langword="null"/> for an empty payload.</summary>
    public byte[]? Buffer { get; }

    public int Length { get; }

    public ReadOnlyMemory<byte> Payload => Buffer is null ? ReadOnlyMemory<byte>.Empty : Buffer.AsMemory(0, Length);

    /// <summary>A frame without payload.</summary>
    public static Frame Control(FrameKind kind) => new(kind, null, 0);

    /// <summary>Copies <paramref name="payload"/> into a pooled buffer.</summary>
    public static Frame Data(ReadOnlySpan<byte> payload)
    {
        if (payload.IsEmpty)
        {
            return new Frame(FrameKind.Data, null, 0);
        }

        byte[] buffer = ArrayPool<byte>.Shared.Rent(payload.Length);
        payload.CopyTo(buffer);
        return new Frame(FrameKind.Data, buffer, payload.Length);
    }

    /// <summary>Copies <paramref name="payload"/> into a pooled buffer.</summary>
    public static Frame Data(in ReadOnlySequence<byte> payload)
    {
        if (payload.IsEmpty)
        {
            return new Frame(FrameKind.Data, null, 0);
        }

        int length = checked((int)payload.Length);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(length);
        payload.CopyTo(buffer);
        return new Frame(FrameKind.Data, buffer, length);
    }

    /// <summary>Returns the buffer to the pool; the frame must not be used afterwards.</summary>
    public void Return()
    {
        if (Buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(Buffer);
        }
    }
}
