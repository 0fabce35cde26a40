using System.Buffers.Binary;

namespace StateChannels.Net.Framing;

/// <summary>
/// Wire format of a frame: a 4-byte big-endian payload length, a 1-byte <see cref="FrameKind"/>,
/// then the payload. Every kind has its own payload bound, checked on the header before the
/// payload is awaited or anything is allocated for it (THREATS E3).
/// </summary>
internal static class FrameFormat
{
    /// <summary>Length prefix plus kind byte.</summary>
    public const int HeaderSize = 5;

    /// <summary>Largest hello payload we accept (a v1 hello is <see cref="Authentication.HelloMessage.Size"/> bytes).</summary>
    public const int MaxHelloSize = 128;

    /// <summary>Writes a header into the first <see cref="HeaderSize"/> bytes of <paramref name="destination"/>.</summary>
    public static void WriteHeader(Span<byte> destination, FrameKind kind, int payloadLength)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)payloadLength);
        destination[4] = (byte)kind;
    }

    /// <summary>The largest payload allowed for <paramref name="kind"/>, or -1 for an unknown kind.</summary>
    public static long MaxPayload(FrameKind kind, int maxDataSize) => kind switch
    {
        FrameKind.Data => maxDataSize,
        FrameKind.Ping or FrameKind.Pong => 0,
        FrameKind.Close => 1,
        FrameKind.Hello => MaxHelloSize,
        FrameKind.Auth => Signature.Length,
        _ => -1,
    };

    /// <summary>A whole frame in a new array (handshake and tests; the data path uses pooled buffers).</summary>
    public static byte[] Encode(FrameKind kind, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[HeaderSize + payload.Length];
        WriteHeader(frame, kind, payload.Length);
        payload.CopyTo(frame.AsSpan(HeaderSize));
        return frame;
    }
}
