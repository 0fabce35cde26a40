using System.Buffers.Binary;
using System.Text;

namespace StateChannels.Integration.Tests.Lifecycle.Support;

/// <summary>
/// A message from the SDK as a raw peer reads it (docs/protocol.md, "Wire format"):
/// the type tag, the channel, the version, and the signature (Accept, Confirm) or the refusal (Reject).
/// </summary>
public sealed record RawMessage(byte Type, ChannelId ChannelId, ulong Version, Signature? Signature, ErrorCode? Code, string? Reason)
{
    public bool IsAccept => Type == RawWire.Accept;

    public bool IsReject => Type == RawWire.Reject;

    public override string ToString() => Type switch
    {
        RawWire.Accept => $"Accept(v{Version})",
        RawWire.Confirm => $"Confirm(v{Version})",
        RawWire.Reject => $"Reject(v{Version}, {Code}, \"{Reason}\")",
        RawWire.Propose => $"Propose(v{Version})",
        RawWire.Reestablish => "Reestablish",
        _ => $"type {Type}",
    };
}

/// <summary>
/// The protocol's wire format written out by hand from docs/protocol.md, so that a test can play a
/// byzantine peer without the SDK's internal codec: byte 0 the protocol version (1), byte 1 the tag,
/// then fixed-size big-endian fields (addresses 20 bytes, hashes 32, amounts 16, versions 8,
/// signatures 65, booleans 1). Only what a raw opener sends and reads.
/// </summary>
public static class RawWire
{
    public const byte ProtocolVersion = 1;
    public const byte OpenRequest = 1;
    public const byte Propose = 2;
    public const byte Accept = 3;
    public const byte Confirm = 4;
    public const byte Reject = 5;
    public const byte Reestablish = 6;

    public static byte[] EncodeOpen(ChannelParams p, Eip712Domain domain)
    {
        var w = new Writer(OpenRequest);
        w.Address(p.Participant0);
        w.Address(p.Participant1);
        w.Address(p.Asset);
        w.U64(p.ChallengeDurationSeconds);
        w.Bytes(p.Nonce.ToArray());
        w.Amount(p.Funding0);
        w.Amount(p.Funding1);
        w.U64(domain.ChainId);
        w.Address(domain.Adjudicator);
        return w.ToArray();
    }

    public static byte[] EncodePropose(ChannelState s, ulong baseVersion)
    {
        var w = new Writer(Propose);
        w.Bytes(s.ChannelId.ToArray());
        w.U64(s.Version);
        w.Amount(s.Balance0);
        w.Amount(s.Balance1);
        w.Bytes([s.IsFinal ? (byte)1 : (byte)0]);
        w.U64(baseVersion);
        return w.ToArray();
    }

    public static byte[] EncodeConfirm(ChannelId id, ulong version, Signature signature)
    {
        var w = new Writer(Confirm);
        w.Bytes(id.ToArray());
        w.U64(version);
        w.Bytes(signature.ToArray());
        return w.ToArray();
    }

    /// <summary>Reads what a raw opener needs of a message; other tags yield just the tag.</summary>
    public static RawMessage Decode(ReadOnlySpan<byte> frame)
    {
        Assert.True(frame.Length >= 2 && frame[0] == ProtocolVersion, $"not a protocol v1 frame ({frame.Length} bytes)");
        var type = frame[1];
        var body = frame[2..];
        switch (type)
        {
            case Accept:
            case Confirm:
                Assert.Equal(32 + 8 + 65, body.Length);
                return new RawMessage(type, ChannelId.FromBytes(body[..32]), BinaryPrimitives.ReadUInt64BigEndian(body[32..40]), Signature.FromBytes(body[40..105]), null, null);
            case Reject:
                var length = body[42];
                Assert.Equal(32 + 8 + 2 + 1 + length, body.Length);
                return new RawMessage(
                    type, ChannelId.FromBytes(body[..32]), BinaryPrimitives.ReadUInt64BigEndian(body[32..40]), null,
                    (ErrorCode)BinaryPrimitives.ReadUInt16BigEndian(body[40..42]), Encoding.UTF8.GetString(body.Slice(43, length)));
            case Propose:
                return new RawMessage(type, ChannelId.FromBytes(body[..32]), BinaryPrimitives.ReadUInt64BigEndian(body[32..40]), null, null, null);
            case Reestablish:
                return new RawMessage(type, ChannelId.FromBytes(body[..32]), 0, null, null, null);
            default:
                return new RawMessage(type, ChannelId.Zero, 0, null, null, null);
        }
    }

    private sealed class Writer
    {
        private readonly List<byte> _bytes = [];

        public Writer(byte type)
        {
            _bytes.Add(ProtocolVersion);
            _bytes.Add(type);
        }

        public void Bytes(ReadOnlySpan<byte> bytes)
        {
            foreach (var b in bytes)
            {
                _bytes.Add(b);
            }
        }

        public void Address(EthAddress a) => Bytes(a.ToArray());

        public void U64(ulong v)
        {
            Span<byte> b = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(b, v);
            Bytes(b);
        }

        public void Amount(Amount a)
        {
            // uint128 big-endian
            var big = a.ToBigInteger().ToByteArray(isUnsigned: true, isBigEndian: true);
            Assert.True(big.Length <= 16);
            Bytes(new byte[16 - big.Length]);
            Bytes(big);
        }

        public byte[] ToArray() => [.. _bytes];
    }
}
