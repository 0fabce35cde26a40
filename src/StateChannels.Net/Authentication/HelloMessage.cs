using System.Buffers;
using System.Buffers.Binary;

namespace StateChannels.Net.Authentication;

/// <summary>
/// Handshake step 1, sent by both sides at once: <c>magic (4) || version (2, big-endian) ||
/// address (20) || challenge (32)</c>. The magic and version come first so that a stranger or a
/// future version is told apart from garbage before the rest is read.
/// </summary>
internal readonly record struct HelloMessage(ushort Version, EthAddress Address, Hash32 Challenge)
{
    /// <summary>"SCHS": StateChannels handshake.</summary>
    public static ReadOnlySpan<byte> Magic => "SCHS"u8;

    /// <summary>The protocol version this library speaks.</summary>
    public const ushort CurrentVersion = 1;

    /// <summary>Size of a version-1 hello.</summary>
    public const int Size = 4 + 2 + EthAddress.Length + Hash32.Length;

    private const int FrameLimit = Framing.FrameFormat.MaxHelloSize;

    /// <summary>Encodes the hello payload.</summary>
    public byte[] ToPayload()
    {
        var payload = new byte[Size];
        Magic.CopyTo(payload);
        BinaryPrimitives.WriteUInt16BigEndian(payload.AsSpan(4), Version);
        Address.WriteTo(payload.AsSpan(6));
        Challenge.WriteTo(payload.AsSpan(6 + EthAddress.Length));
        return payload;
    }

    /// <summary>Decodes an untrusted hello payload, or says precisely what is wrong with it.</summary>
    public static bool TryParse(ReadOnlySequence<byte> payload, out HelloMessage hello, out HandshakeFailure failure, out string error)
    {
        hello = default;
        Span<byte> bytes = stackalloc byte[FrameLimit];
        if (payload.Length < 6 || payload.Length > FrameLimit)
        {
            failure = HandshakeFailure.Malformed;
            error = $"Hello of {payload.Length} bytes.";
            return false;
        }

        bytes = bytes[..(int)payload.Length];
        payload.CopyTo(bytes);
        if (!bytes[..4].SequenceEqual(Magic))
        {
            failure = HandshakeFailure.WrongMagic;
            error = "The hello does not carry the StateChannels magic.";
            return false;
        }

        ushort version = BinaryPrimitives.ReadUInt16BigEndian(bytes[4..]);
        if (version != CurrentVersion)
        {
            failure = HandshakeFailure.UnsupportedVersion;
            error = $"The peer speaks handshake version {version}; this library speaks {CurrentVersion}.";
            return false;
        }

        if (bytes.Length != Size)
        {
            failure = HandshakeFailure.Malformed;
            error = $"A version {CurrentVersion} hello has {Size} bytes, not {bytes.Length}.";
            return false;
        }

        hello = new HelloMessage(
            version,
            EthAddress.FromBytes(bytes.Slice(6, EthAddress.Length)),
            Hash32.FromBytes(bytes.Slice(6 + EthAddress.Length, Hash32.Length)));
        failure = default;
        error = string.Empty;
        return true;
    }
}
