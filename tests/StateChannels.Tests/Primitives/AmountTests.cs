using System.Numerics;
using StateChannels.Tests.Support;

namespace StateChannels.Tests.Primitives;

public class AmountTests
{
    private static readonly BigInteger Max = (BigInteger.One << 128) - 1;

    [Theory]
    [InlineData("0")]
    [InlineData("1")]
    [InlineData("1000000000000000000")]
    [InlineData("340282366920938463463374607431768211455")] // 2^128 - 1
    public void Parse_Decimal_RoundTrips(string text) => Assert.Equal(text, Amount.Parse(text).ToString());

    [Fact]
    public void Parse_LeadingZeros_Accepted() => Assert.Equal(new Amount(7), Amount.Parse("007"));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("-1")]
    [InlineData("+1")]
    [InlineData(" 1")]
    [InlineData("1 ")]
    [InlineData("1,000")]
    [InlineData("1_000")]
    [InlineData("1.0")]
    [InlineData("1e18")]
    [InlineData("0x10")]
    [InlineData("340282366920938463463374607431768211456")] // 2^128
    [InlineData("99999999999999999999999999999999999999999999999999")]
    [InlineData("١")] // Arabic-Indic one
    public void TryParse_Malformed_ReturnsFalse(string? text)
    {
        Assert.False(Amount.TryParse(text, out Amount amount));
        Assert.Equal(Amount.Zero, amount);
        if (text is not null)
        {
            Assert.Equal(ErrorCode.InvalidFormat, Assert.Throws<StateChannelException>(() => Amount.Parse(text)).Code);
        }
    }

    [Fact]
    public void FromWei_Bounds_AcceptsZeroAndMax()
    {
        Assert.Equal(Amount.Zero, Amount.FromWei(BigInteger.Zero));
        Assert.Equal(Amount.MaxValue, Amount.FromWei(Max));
        Assert.Equal(Max, Amount.MaxValue.ToBigInteger());
    }

    [Fact]
    public void FromWei_OutOfRange_ThrowsInsufficientFunds()
    {
        Assert.Equal(ErrorCode.InsufficientFunds, Assert.Throws<StateChannelException>(() => Amount.FromWei(BigInteger.MinusOne)).Code);
        Assert.Equal(ErrorCode.InsufficientFunds, Assert.Throws<StateChannelException>(() => Amount.FromWei(Max + 1)).Code);
        Assert.False(Amount.TryFromWei(BigInteger.One << 200, out _));
    }

    [Fact]
    public void Add_Overflow_ThrowsInsufficientFunds()
    {
        var ex = Assert.Throws<StateChannelException>(() => Amount.MaxValue.Add(new Amount(1)));
        Assert.Equal(ErrorCode.InsufficientFunds, ex.Code);
        Assert.False(Amount.MaxValue.TryAdd(Amount.MaxValue, out Amount sum));
        Assert.Equal(Amount.Zero, sum);
        Assert.Equal(Amount.MaxValue, Amount.MaxValue.Add(Amount.Zero));
    }

    [Fact]
    public void Subtract_Underflow_ThrowsInsufficientFunds()
    {
        var ex = Assert.Throws<StateChannelException>(() => new Amount(5).Subtract(new Amount(6)));
        Assert.Equal(ErrorCode.InsufficientFunds, ex.Code);
        Assert.False(Amount.Zero.TrySubtract(new Amount(1), out _));
        Assert.Equal(Amount.Zero, new Amount(5).Subtract(new Amount(5)));
    }

    [Fact]
    public void ComparisonOperators_Consistent()
    {
        Amount a = 1UL, b = 2UL, a2 = 1UL;
        Assert.True(a < b);
        Assert.True(a <= b);
        Assert.True(b > a);
        Assert.True(b >= a);
        Assert.True(a <= a2);
        Assert.True(a >= a2);
        Assert.False(a > a2);
        Assert.True(a != b);
        Assert.True(a == new Amount(1));
        Assert.True(Amount.Zero.IsZero);
    }

    [Fact]
    public void WriteUInt256_Max_LeftPadsBigEndian()
    {
        var word = new byte[32];
        Amount.MaxValue.WriteUInt256(word);
        Assert.Equal(new byte[16], word[..16]);
        Assert.All(word[16..], b => Assert.Equal(0xff, b));
        new Amount(0x0102).WriteUInt256(word);
        Assert.Equal(0x01, word[30]);
        Assert.Equal(0x02, word[31]);
        Assert.All(word[..30], b => Assert.Equal(0, b));
    }

    [Fact]
    public void CheckedMath_RandomAmounts_MatchesBigInteger()
    {
        Seeded.Run(2000, (random, _) =>
        {
            Amount a = random.NextAmount(), b = random.NextAmount();
            BigInteger sum = a.ToBigInteger() + b.ToBigInteger();
            BigInteger difference = a.ToBigInteger() - b.ToBigInteger();
            Assert.Equal(sum <= Max, a.TryAdd(b, out Amount s));
            if (sum <= Max)
            {
                Assert.Equal(sum, s.ToBigInteger());
            }

            Assert.Equal(difference >= 0, a.TrySubtract(b, out Amount d));
            if (difference >= 0)
            {
                Assert.Equal(difference, d.ToBigInteger());
            }

            Assert.Equal(a.ToBigInteger().CompareTo(b.ToBigInteger()), Math.Sign(a.CompareTo(b)));
            Assert.Equal(a, Amount.Parse(a.ToString()));
            Assert.Equal(a, Amount.FromWei(a.ToBigInteger()));
        });
    }
}
