using System.Buffers.Binary;
using System.Text;

namespace StateChannels.Wire;

/// <summary>
/// Reads fixed-layout big-endian fields from untrusted bytes. Every read is bounds-checked and
/// fails with <see cref="StateChannelException"/> (<see cref="ErrorCode.InvalidFormat"/>); nothing is
/// ever allocated from a length the input declares beyond the bytes actually present.
/// </summary>
internal ref struct WireReader(ReadOnlySpan<byte> data)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _pos;

    public readonly int Remaining => _data.Length - _pos;

    public ReadOnlySpan<byte> Bytes(int count)
    {
        if (count < 0 || count > Remaining)
        {
            throw Fail($"needs {count} more bytes, has {Remaining}");
        }

        var s = _data.Slice(_pos, count);
        _pos += count;
        return s;
    }

    public byte U8() => Bytes(1)[0];

    public ushort U16() => BinaryPrimitives.ReadUInt16BigEndian(Bytes(2));

    public ulong U64() => BinaryPrimitives.ReadUInt64BigEndian(Bytes(8));

    public long I64() => BinaryPrimitives.ReadInt64BigEndian(Bytes(8));

    public bool Bool() => U8() switch
    {
        0 => false,
        1 => true,
        var b => throw Fail($"boolean byte {b}"),
    };

    public Amount Amount() => new(BinaryPrimitives.ReadUInt128BigEndian(Bytes(16)));

    public EthAddress Address() => EthAddress.FromBytes(Bytes(EthAddress.Length));

    public Hash32 Hash() => Hash32.FromBytes(Bytes(Hash32.Length));

    public ChannelId ChannelId() => StateChannels.ChannelId.FromBytes(Bytes(StateChannels.ChannelId.Length));

    public Signature Signature() =>
        StateChannels.Signature.TryFromBytes(Bytes(65), out var s) ? s : throw Fail("signature is malformed, high-s, or has a bad v");

    public string Utf8(int maxBytes)
    {
        var length = U8();
        if (length > maxBytes)
        {
            throw Fail($"string of {length} bytes exceeds {maxBytes}");
        }

        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(Bytes(length));
        }
        catch (DecoderFallbackException)
        {
            throw Fail("string is not valid UTF-8");
        }
    }

    public ChannelState State() => new(ChannelId(), U64(), Amount(), Amount(), Bool());

    public SignedState SignedState() => new(State(), Signature(), Signature());

    public ChannelParams Params() => new(Address(), Address(), Address(), U64(), Hash(), Amount(), Amount());

    public Eip712Domain Domain() => new(U64(), Address());

    public readonly void End()
    {
        if (Remaining != 0)
        {
            throw Fail($"{Remaining} trailing bytes");
        }
    }

    public static StateChannelException Fail(string why) => new(ErrorCode.InvalidFormat, why);
}
