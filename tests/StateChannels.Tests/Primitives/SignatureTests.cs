using System.Numerics;

namespace StateChannels.Tests.Primitives;

public class SignatureTests
{
    private static readonly BigInteger N = BigInteger.Parse("115792089237316195423570985008687907852837564279074904382605163141518161494337", System.Globalization.CultureInfo.InvariantCulture);
    private static readonly BigInteger HalfN = N / 2;

    private static byte[] Make(BigInteger r, BigInteger s, byte v)
    {
        var bytes = new byte[65];
        r.TryWriteBytes(bytes.AsSpan(0, 32)[(32 - r.GetByteCount(isUnsigned: true))..], out _, isUnsigned: true, isBigEndian: true);
        s.TryWriteBytes(bytes.AsSpan(32, 32)[(32 - s.GetByteCount(isUnsigned: true))..], out _, isUnsigned: true, isBigEndian: true);
        bytes[64] = v;
        return bytes;
    }

    private static void AssertRejected(byte[] bytes)
    {
        Assert.False(Signature.TryFromBytes(bytes, out Signature signature));
        Assert.Equal(default, signature);
        Assert.Equal(ErrorCode.InvalidSignature, Assert.Throws<StateChannelException>(() => Signature.FromBytes(bytes)).Code);
        string hex = Hex.Encode(bytes);
        Assert.False(Signature.TryParse(hex, out _));
        if (bytes.Length == Signature.Length)
        {
            Assert.Equal(ErrorCode.InvalidSignature, Assert.Throws<StateChannelException>(() => Signature.Parse(hex)).Code);
        }
    }

    [Theory]
    [InlineData(27)]
    [InlineData(28)]
    public void FromBytes_Valid_RoundTrips(byte v)
    {
        byte[] bytes = Make(12345, 67890, v);
        var signature = Signature.FromBytes(bytes);
        Assert.Equal(bytes, signature.ToArray());
        Assert.Equal(v, signature.V);
        Assert.Equal(Hex.Encode(bytes), signature.ToString());
        Assert.Equal(signature, Signature.Parse(signature.ToString()));
        Assert.Equal(new BigInteger(signature.R.ToArray(), isUnsigned: true, isBigEndian: true), new BigInteger(12345));
        Assert.Equal(new BigInteger(signature.S.ToArray(), isUnsigned: true, isBigEndian: true), new BigInteger(67890));
    }

    [Fact]
    public void FromBytes_BoundaryValues_Accepted()
    {
        Assert.True(Signature.TryFromBytes(Make(1, 1, 27), out _));
        Assert.True(Signature.TryFromBytes(Make(N - 1, HalfN, 28), out _));
    }

    [Fact]
    public void FromBytes_HighS_Rejected()
    {
        AssertRejected(Make(1, HalfN + 1, 27));
        AssertRejected(Make(1, N - 1, 27));
        AssertRejected(Make(1, N, 27));
        AssertRejected(Make(1, (BigInteger.One << 256) - 1, 27));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(26)]
    [InlineData(29)]
    [InlineData(37)]
    [InlineData(255)]
    public void FromBytes_BadV_Rejected(byte v) => AssertRejected(Make(1, 1, v));

    [Fact]
    public void FromBytes_RZeroOrAtLeastN_Rejected()
    {
        AssertRejected(Make(0, 1, 27));
        AssertRejected(Make(N, 1, 27));
        AssertRejected(Make((BigInteger.One << 256) - 1, 1, 27));
    }

    [Fact]
    public void FromBytes_SZero_Rejected() => AssertRejected(Make(1, 0, 27));

    [Theory]
    [InlineData(0)]
    [InlineData(64)]
    [InlineData(66)]
    [InlineData(130)]
    public void FromBytes_WrongLength_Rejected(int length)
    {
        var bytes = new byte[length];
        if (length > 64)
        {
            Make(1, 1, 27).CopyTo(bytes, 0);
        }

        AssertRejected(bytes);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0x")]
    [InlineData("0x00")]
    [InlineData("0xzz")]
    public void Parse_MalformedHex_ThrowsInvalidFormat(string text)
    {
        Assert.False(Signature.TryParse(text, out _));
        Assert.Equal(ErrorCode.InvalidFormat, Assert.Throws<StateChannelException>(() => Signature.Parse(text)).Code);
    }

    [Fact]
    public void Parse_OddLengthOrNonHex_ThrowsInvalidFormat()
    {
        string valid = Hex.Encode(Make(1, 1, 27));
        Assert.Equal(ErrorCode.InvalidFormat, Assert.Throws<StateChannelException>(() => Signature.Parse(valid.AsSpan(0, valid.Length - 1))).Code);
        Assert.Equal(ErrorCode.InvalidFormat, Assert.Throws<StateChannelException>(() => Signature.Parse(string.Concat(valid.AsSpan(0, valid.Length - 1), "g"))).Code);
        Assert.Equal(ErrorCode.InvalidFormat, Assert.Throws<StateChannelException>(() => Signature.Parse(valid + "00")).Code);
        Assert.False(Signature.TryParse((string?)null, out _));
    }

    [Fact]
    public void WriteTo_ShortDestination_ThrowsArgumentException() =>
        Assert.Throws<ArgumentException>(() => Signature.FromBytes(Make(1, 1, 27)).WriteTo(new byte[64]));

    [Fact]
    public void Equality_DifferentV_NotEqual()
    {
        var a = Signature.FromBytes(Make(7, 8, 27));
        var b = Signature.FromBytes(Make(7, 8, 28));
        Assert.True(a != b);
        Assert.True(a == Signature.FromBytes(Make(7, 8, 27)));
        Assert.Equal(a.GetHashCode(), Signature.FromBytes(Make(7, 8, 27)).GetHashCode());
    }
}
