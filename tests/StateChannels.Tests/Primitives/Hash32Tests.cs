using StateChannels.Tests.Support;

namespace StateChannels.Tests.Primitives;

public class Hash32Tests
{
    private const string Sample = "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470";

    [Fact]
    public void Parse_WellFormed_RoundTripsLowerCase()
    {
        Assert.Equal(Sample, Hash32.Parse(Sample).ToString());
        Assert.Equal(Sample, Hash32.Parse(Sample.ToUpperInvariant().Replace("0X", "0x", StringComparison.Ordinal)).ToString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("0x")]
    [InlineData("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")]
    [InlineData("0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a47")]
    [InlineData("0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a4")]
    [InlineData("0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a47000")]
    [InlineData("0xz5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")]
    public void TryParse_Malformed_ReturnsFalse(string? text)
    {
        Assert.False(Hash32.TryParse(text, out Hash32 hash));
        Assert.True(hash.IsZero);
        Assert.False(ChannelId.TryParse(text, out _));
        if (text is not null)
        {
            Assert.Equal(ErrorCode.InvalidFormat, Assert.Throws<StateChannelException>(() => Hash32.Parse(text)).Code);
            Assert.Equal(ErrorCode.InvalidFormat, Assert.Throws<StateChannelException>(() => ChannelId.Parse(text)).Code);
        }
    }

    [Theory]
    [InlineData(31)]
    [InlineData(33)]
    public void FromBytes_WrongLength_ThrowsArgumentException(int length)
    {
        Assert.Throws<ArgumentException>(() => Hash32.FromBytes(new byte[length]));
        Assert.Throws<ArgumentException>(() => ChannelId.FromBytes(new byte[length]));
    }

    [Fact]
    public void WriteTo_ShortDestination_ThrowsArgumentException() =>
        Assert.Throws<ArgumentException>(() => Hash32.Zero.WriteTo(new byte[31]));

    [Fact]
    public void FromBytes_RandomBytes_RoundTrip()
    {
        Seeded.Run(500, (random, _) =>
        {
            byte[] bytes = random.Bytes(32);
            var hash = Hash32.FromBytes(bytes);
            Assert.Equal(bytes, hash.ToArray());
            Assert.Equal(hash, Hash32.Parse(hash.ToString()));
            var id = ChannelId.FromHash32(hash);
            Assert.Equal(bytes, id.ToArray());
            Assert.Equal(hash, id.ToHash32());
            Assert.Equal(id, ChannelId.Parse(id.ToString()));
        });
    }

    [Fact]
    public void CompareTo_OrdersAsBigEndianNumbers()
    {
        var one = Hash32.Parse("0x0000000000000000000000000000000000000000000000000000000000000001");
        var big = Hash32.Parse("0x0100000000000000000000000000000000000000000000000000000000000000");
        var mid = Hash32.Parse("0x0000000000000000000000000000000100000000000000000000000000000000");
        Assert.True(Hash32.Zero.CompareTo(one) < 0);
        Assert.True(one.CompareTo(mid) < 0);
        Assert.True(mid.CompareTo(big) < 0);
        Assert.True(big != mid);
    }

    [Fact]
    public void CreateRandom_TwoCalls_Differ() => Assert.NotEqual(Hash32.CreateRandom(), Hash32.CreateRandom());
}
