using System.Buffers.Binary;

namespace StateChannels.Wire;

/// <summary>Writes fixed-layout big-endian fields; the mirror of <see cref="WireReader"/>.</summary>
internal ref struct WireWriter(Span<byte> buffer)
{
    private readonly Span<byte> _buffer = buffer;
    private int _pos;

    public readonly int Length => _pos;

    public const int StateSize = 32 + 8 + 16 + 16 + 1;
    public const int ParamsSize = 20 + 20 + 20 + 8 + 32 + 16 + 16;
    public const int DomainSize = 8 + 20;
    public const int SignatureSize = 65;

    public Span<byte> Take(int count)
    {
        var s = _buffer.Slice(_pos, count);
        _pos += count;
        return s;
    }

    public void U8(byte v) => Take(1)[0] = v;

    public void U16(ushort v) => BinaryPrimitives.WriteUInt16BigEndian(Take(2), v);

    public void U64(ulong v) => BinaryPrimitives.WriteUInt64BigEndian(Take(8), v);

    public void I64(long v) => BinaryPrimitives.WriteInt64BigEndian(Take(8), v);

    public void Bool(bool v) => U8(v ? (byte)1 : (byte)0);

    public void Amount(Amount v) => BinaryPrimitives.WriteUInt128BigEndian(Take(16), v.Value);

    public void Address(EthAddress v) => v.WriteTo(Take(EthAddress.Length));

    public void Hash(Hash32 v) => v.WriteTo(Take(Hash32.Length));

    public void ChannelId(ChannelId v) => v.WriteTo(Take(StateChannels.ChannelId.Length));

    public void Signature(Signature v) => v.WriteTo(Take(SignatureSize));

    /// <summary>A length-prefixed UTF-8 string, cut to at most <paramref name="maxBytes"/> bytes on a whole code point.</summary>
    public void Utf8(string v, int maxBytes)
    {
        var text = Utf8Text.Truncate(v, maxBytes);
        var n = System.Text.Encoding.UTF8.GetByteCount(text);
        U8(checked((byte)n));
        System.Text.Encoding.UTF8.GetBytes(text, Take(n));
    }

    public void State(in ChannelState s)
    {
        ChannelId(s.ChannelId);
        U64(s.Version);
        Amount(s.Balance0);
        Amount(s.Balance1);
        Bool(s.IsFinal);
    }

    public void SignedState(SignedState s)
    {
        State(s.State);
        Signature(s.Sig0);
        Signature(s.Sig1);
    }

    public void Params(ChannelParams p)
    {
        Address(p.Participant0);
        Address(p.Participant1);
        Address(p.Asset);
        U64(p.ChallengeDurationSeconds);
        Hash(p.Nonce);
        Amount(p.Funding0);
        Amount(p.Funding1);
    }

    public void Domain(Eip712Domain d)
    {
        U64(d.ChainId);
        Address(d.Adjudicator);
    }
}
