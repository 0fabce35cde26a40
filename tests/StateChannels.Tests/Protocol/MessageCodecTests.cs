using StateChannels.Protocol;
using StateChannels.Tests.Support;

namespace StateChannels.Tests.Protocol;

public sealed class MessageCodecTests
{
    private static readonly PrivateKey Key = PrivateKey.Parse("0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318");

    internal static ChannelState RandomState(Random r) =>
        new(ChannelId.FromBytes(r.Bytes(32)), (ulong)r.NextInt64(), new Amount((UInt128)r.NextInt64()), new Amount((UInt128)r.NextInt64()), r.Next(2) == 1);

    internal static Signature RandomSignature(Random r) => Key.Sign(r.NextHash());

    internal static ProtocolMessage RandomMessage(Random r)
    {
        var id = ChannelId.FromBytes(r.Bytes(32));
        return r.Next(6) switch
        {
            0 => new OpenRequest(
                new ChannelParams(r.NextAddress(), r.NextAddress(), r.NextAddress(), (ulong)r.Next(1, 1_000_000), r.NextHash(), new Amount((UInt128)r.NextInt64()), new Amount((UInt128)r.NextInt64())),
                new Eip712Domain((ulong)r.Next(1, int.MaxValue), r.NextAddress())),
            1 => new ProposeUpdate(RandomState(r), (ulong)r.NextInt64()),
            2 => new AcceptUpdate(id, (ulong)r.NextInt64(), RandomSignature(r)),
            3 => new ConfirmUpdate(id, (ulong)r.NextInt64(), RandomSignature(r)),
            4 => new RejectUpdate(id, (ulong)r.NextInt64(), ErrorCode.InvalidTransition, "reason ✓ " + r.Next()),
            _ => new Reestablish(
                id,
                r.Next(2) == 0 ? null : new SignedState(RandomState(r) with { ChannelId = id }, RandomSignature(r), RandomSignature(r)),
                r.Next(2) == 0 ? null : RandomState(r) with { ChannelId = id },
                null) is var m && m.Pending is not null ? m with { PendingSignature = RandomSignature(r) } : m,
        };
    }

    [Fact]
    public void EncodeDecode_EveryMessageType_RoundTrips()
    {
        Seeded.Run(2_000, (r, _) =>
        {
            var message = RandomMessage(r);
            var bytes = MessageCodec.Encode(message);
            var decoded = MessageCodec.Decode(bytes);
            Assert.Equal(message.Type, decoded.Type);
            Assert.Equal(bytes, MessageCodec.Encode(decoded));
            if (message is not OpenRequest)
            {
                Assert.Equal(message, decoded);
            }
            else
            {
                var (a, b) = ((OpenRequest)message, (OpenRequest)decoded);
                Assert.Equal(a.Params, b.Params);
                Assert.Equal(a.Domain, b.Domain);
            }
        });
    }

    [Fact]
    public void TryDecode_100kRandomAndMutatedInputs_NeverThrowsAndIsStable()
    {
        var decodedCount = 0;
        Seeded.Run(100_000, (r, i) =>
        {
            byte[] input;
            if (i % 2 == 0)
            {
                input = r.Bytes(r.Next(0, 400));
                if (input.Length > 1)
                {
                    input[0] = MessageCodec.ProtocolVersion; // get past the first check half the time
                    input[1] = (byte)r.Next(0, 8);
                }
            }
            else
            {
                input = MessageCodec.Encode(RandomMessage(r));
                var flips = r.Next(1, 4);
                for (var f = 0; f < flips; f++)
                {
                    switch (r.Next(3))
                    {
                        case 0: input[r.Next(input.Length)] ^= (byte)(1 << r.Next(8)); break;
                        case 1: input = input[..r.Next(input.Length)]; break;
                        default: input = [.. input, .. r.Bytes(r.Next(1, 5))]; break;
                    }

                    if (input.Length == 0)
                    {
                        break;
                    }
                }
            }

            if (MessageCodec.TryDecode(input, out var message, out var error))
            {
                decodedCount++;
                var once = MessageCodec.Encode(message);
                Assert.Equal(once, MessageCodec.Encode(MessageCodec.Decode(once)));
            }
            else
            {
                Assert.False(string.IsNullOrEmpty(error));
            }
        });
        Assert.True(decodedCount > 0, "the mutation corpus should include some still-valid messages");
    }

    [Theory]
    [InlineData(new byte[] { })]
    [InlineData(new byte[] { 1 })]
    [InlineData(new byte[] { 2, 2 })] // unknown protocol version
    [InlineData(new byte[] { 1, 99 })] // unknown type
    [InlineData(new byte[] { 1, 0 })]
    public void TryDecode_Garbage_FailsWithReason(byte[] input)
    {
        Assert.False(MessageCodec.TryDecode(input, out _, out var error));
        Assert.NotEmpty(error);
    }

    [Fact]
    public void TryDecode_ValidMessageUnderAnotherProtocolVersion_Rejected()
    {
        // The garbage case { 2, 2 } fails without the version check too (it has no body): this
        // one is a whole, valid message whose only fault is its version byte.
        var r = new Random(11);
        var bytes = MessageCodec.Encode(new AcceptUpdate(ChannelId.FromBytes(r.Bytes(32)), 5, RandomSignature(r)));
        Assert.True(MessageCodec.TryDecode(bytes, out _, out _));
        bytes[0] = MessageCodec.ProtocolVersion + 1;
        Assert.False(MessageCodec.TryDecode(bytes, out _, out var error));
        Assert.Contains("version", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryDecode_HighSSignature_Rejected()
    {
        var r = new Random(7);
        var bytes = MessageCodec.Encode(new AcceptUpdate(ChannelId.FromBytes(r.Bytes(32)), 5, RandomSignature(r)));
        // s is the second 32-byte word of the signature: s' = n - s is the high-s twin, also valid ECDSA.
        var sig = bytes.AsSpan(2 + 32 + 8, 65);
        var n = System.Numerics.BigInteger.Parse("0FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141", System.Globalization.NumberStyles.HexNumber);
        var s = new System.Numerics.BigInteger(sig.Slice(32, 32), isUnsigned: true, isBigEndian: true);
        (n - s).TryWriteBytes(sig.Slice(32, 32), out _, isUnsigned: true, isBigEndian: true);
        sig[64] = (byte)(sig[64] == 27 ? 28 : 27);
        Assert.False(MessageCodec.TryDecode(bytes, out _, out var error));
        Assert.Contains("signature", error);
    }

    [Fact]
    public void TryDecode_TrailingByte_Rejected()
    {
        var bytes = MessageCodec.Encode(new ProposeUpdate(RandomState(new Random(1)), 0));
        Assert.True(MessageCodec.TryDecode(bytes, out _, out _));
        Assert.False(MessageCodec.TryDecode([.. bytes, 0], out _, out _));
    }

    [Fact]
    public void TryDecode_NonBooleanFinalFlag_Rejected()
    {
        var bytes = MessageCodec.Encode(new ProposeUpdate(RandomState(new Random(2)), 0));
        bytes[2 + 32 + 8 + 16 + 16] = 2; // the state's isFinal byte
        Assert.False(MessageCodec.TryDecode(bytes, out _, out var error));
        Assert.Contains("boolean", error);
    }

    [Fact]
    public void TryDecode_RejectWithInvalidUtf8_Rejected()
    {
        var bytes = MessageCodec.Encode(new RejectUpdate(ChannelId.FromBytes(new byte[32]), 1, ErrorCode.InvalidTransition, "ab"));
        bytes[^1] = 0xC3; // a lead byte with no continuation: mid-codepoint truncation
        Assert.False(MessageCodec.TryDecode(bytes, out _, out var error));
        Assert.Contains("UTF-8", error);
    }

    [Fact]
    public void Encode_LongMultibyteReason_CutOnCodePointAndDecodes()
    {
        var reason = string.Concat(Enumerable.Repeat("€😀", 200));
        var bytes = MessageCodec.Encode(new RejectUpdate(ChannelId.FromBytes(new byte[32]), 1, ErrorCode.InvalidTransition, reason));
        var decoded = (RejectUpdate)MessageCodec.Decode(bytes);
        Assert.StartsWith(decoded.Reason, reason, StringComparison.Ordinal);
        Assert.True(System.Text.Encoding.UTF8.GetByteCount(decoded.Reason) < RejectUpdate.MaxReasonBytes);
    }

    /// <summary>THREATS E4: a reason cut inside a surrogate pair (as <c>reason[..n]</c> does) or carrying lone surrogates still goes out as valid UTF-8.</summary>
    [Theory]
    [InlineData("refused \uD83D")] // high surrogate alone at the end: a pair cut in half
    [InlineData("\uDE00 refused")] // low surrogate alone at the start
    [InlineData("a\uD83Db\uDE00c")] // both halves, apart
    public void Encode_ReasonWithLoneSurrogate_EncodesValidUtf8(string reason)
    {
        var bytes = MessageCodec.Encode(new RejectUpdate(ChannelId.FromBytes(new byte[32]), 1, ErrorCode.InvalidTransition, reason));
        var decoded = (RejectUpdate)MessageCodec.Decode(bytes);
        var strict = new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
        Assert.Equal(decoded.Reason, strict.GetString(strict.GetBytes(decoded.Reason)));
        Assert.DoesNotContain(decoded.Reason, char.IsSurrogate);
        Assert.Contains('\uFFFD', decoded.Reason);
    }

    [Fact]
    public void Decode_ReestablishWithStateOfAnotherChannel_Rejected()
    {
        var r = new Random(3);
        var m = new Reestablish(ChannelId.FromBytes(r.Bytes(32)), new SignedState(RandomState(r), RandomSignature(r), RandomSignature(r)), null, null);
        Assert.False(MessageCodec.TryDecode(MessageCodec.Encode(m), out _, out var error));
        Assert.Contains("another channel", error);
    }
}
