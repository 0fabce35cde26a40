using StateChannels.Tests.Support;

namespace StateChannels.Tests.Protocol;

public sealed class RecordCodecTests
{
    [Fact]
    public void EncodeDecodeChannel_RandomRecords_RoundTrip()
    {
        Seeded.Run(1_000, (r, _) =>
        {
            var record = RandomRecord(r);
            var decoded = RecordCodec.DecodeChannel(RecordCodec.EncodeChannel(record));
            Assert.Equal(record with { Params = decoded.Params, Domain = decoded.Domain }, decoded);
            Assert.Equal(record.Params, decoded.Params);
            Assert.Equal(record.Domain, decoded.Domain);
        });
    }

    [Fact]
    public void DecodeChannel_NewerSchema_RefusedWithTypedError()
    {
        var bytes = RecordCodec.EncodeChannel(RandomRecord(new Random(1)));
        bytes[1] = ChannelRecord.CurrentSchemaVersion + 1;
        var e = Assert.Throws<StateChannelException>(() => RecordCodec.DecodeChannel(bytes));
        Assert.Equal(ErrorCode.UnsupportedSchemaVersion, e.Code);
    }

    [Fact]
    public void DecodeChannel_TruncatedOrMutated_ThrowsInvalidFormatOnly()
    {
        Seeded.Run(20_000, (r, _) =>
        {
            var bytes = RecordCodec.EncodeChannel(RandomRecord(r));
            bytes = r.Next(2) == 0 ? bytes[..r.Next(bytes.Length)] : Flip(bytes, r);
            try
            {
                RecordCodec.DecodeChannel(bytes);
            }
            catch (StateChannelException e)
            {
                Assert.True(e.Code is ErrorCode.InvalidFormat or ErrorCode.UnsupportedSchemaVersion, e.Code.ToString());
            }
        });
    }

    [Fact]
    public void EncodeDecodeState_RoundTrips()
    {
        Seeded.Run(500, (r, _) =>
        {
            var s = new SignedState(MessageCodecTests.RandomState(r), MessageCodecTests.RandomSignature(r), MessageCodecTests.RandomSignature(r));
            Assert.Equal(s, RecordCodec.DecodeState(RecordCodec.EncodeState(s)));
        });
    }

    private static byte[] Flip(byte[] bytes, Random r)
    {
        bytes[r.Next(bytes.Length)] ^= (byte)(1 << r.Next(8));
        return bytes;
    }

    internal static ChannelRecord RandomRecord(Random r)
    {
        var p = new ChannelParams(r.NextAddress(), r.NextAddress(), r.NextAddress(), (ulong)r.Next(1, 1000), r.NextHash(), new Amount(10), new Amount(20));
        var domain = new Eip712Domain((ulong)r.Next(1, 100), r.NextAddress());
        var id = Eip712.ComputeChannelId(domain, p);
        var state = MessageCodecTests.RandomState(r) with { ChannelId = id };
        return new ChannelRecord
        {
            Id = id,
            Params = p,
            Domain = domain,
            MyIndex = r.Next(2),
            Phase = (ChannelPhase)r.Next(7),
            Latest = r.Next(2) == 0 ? null : new SignedState(state, MessageCodecTests.RandomSignature(r), MessageCodecTests.RandomSignature(r)),
            LastSigned = r.Next(2) == 0 ? null : new SignIntent(state, r.NextHash(), MessageCodecTests.RandomSignature(r)),
            PeerSignedVersion = (ulong)r.NextInt64(),
            FallenBehind = r.Next(2) == 0,
            UpdatedAt = DateTimeOffset.FromUnixTimeMilliseconds(r.NextInt64(0, 4_000_000_000_000)),
            PhaseSince = r.Next(2) == 0 ? default : DateTimeOffset.FromUnixTimeMilliseconds(r.NextInt64(1, 4_000_000_000_000)), // optional (flag 8)
        };
    }
}
