using StateChannels.Tests.Support;

namespace StateChannels.Tests.Primitives;

public class EthAddressTests
{
    // The EIP-55 specification's own examples.
    public static TheoryData<string> Eip55Examples => new()
    {
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
        "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
        "0x52908400098527886E0F7030069857D2E4169EE7",
        "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
        "0xde709f2102306220921060314715629080e2fb77",
        "0x27b1fdb04752bbc536007a920d24acb045561c26",
    };

    [Theory]
    [MemberData(nameof(Eip55Examples))]
    public void ToString_Eip55Examples_GivesChecksummedForm(string checksummed)
    {
        var address = EthAddress.Parse(checksummed);
        Assert.Equal(checksummed, address.ToString());
    }

    [Theory]
    [MemberData(nameof(Eip55Examples))]
    public void Parse_AllLowerOrAllUpper_Accepted(string checksummed)
    {
        string lower = "0x" + checksummed[2..].ToLowerInvariant();
        string upper = "0x" + checksummed[2..].ToUpperInvariant();
        Assert.Equal(EthAddress.Parse(checksummed), EthAddress.Parse(lower));
        Assert.Equal(EthAddress.Parse(checksummed), EthAddress.Parse(upper));
        Assert.Equal(lower, EthAddress.Parse(upper).ToLowerHex());
    }

    [Theory]
    [InlineData("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD")] // last letter case flipped
    [InlineData("0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")] // second letter case flipped
    [InlineData("0xfb6916095ca1df60bB79Ce92cE3Ea74c37c5d359")]
    public void TryParse_MixedCaseBadChecksum_ReturnsFalse(string text)
    {
        Assert.False(EthAddress.TryParse(text, out EthAddress address));
        Assert.Equal(EthAddress.Zero, address);
        Assert.Equal(ErrorCode.InvalidFormat, Assert.Throws<StateChannelException>(() => EthAddress.Parse(text)).Code);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("0x")]
    [InlineData("5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")] // no prefix
    [InlineData("0X5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")] // upper-case X
    [InlineData("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beae")] // 39 digits (odd)
    [InlineData("0x5aaeb6053f3e94c9b9a09f33669435e7ef1bea")] // 19 bytes
    [InlineData("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed00")] // 21 bytes
    [InlineData("0x000000000000000000000000005aaeb6053f3e94c9b9a09f33669435e7ef1beaed")] // 32-byte word
    [InlineData("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaeg")] // non-hex
    [InlineData("0x5aaeb6053f3e94c9b9a09f33669435e7ef1bea d")] // space
    [InlineData(" 0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed")] // leading space
    [InlineData("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed\n")] // trailing newline
    [InlineData("vitalik.eth")]
    public void TryParse_Malformed_ReturnsFalse(string? text)
    {
        Assert.False(EthAddress.TryParse(text, out _));
        if (text is not null)
        {
            Assert.False(EthAddress.TryParse(text.AsSpan(), out _));
            Assert.Equal(ErrorCode.InvalidFormat, Assert.Throws<StateChannelException>(() => EthAddress.Parse(text)).Code);
        }
    }

    /// <summary>THREATS E4: characters that look like hex digits, or vanish on screen, are not hex digits.</summary>
    [Theory]
    [InlineData("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beae\uFF44")] // fullwidth d
    [InlineData("0x5aaeb6053f3e94c9b9a09f33669435e7ef1bea\u0661d")] // Arabic-Indic one
    [InlineData("0x5\u0430aeb6053f3e94c9b9a09f33669435e7ef1beaed")] // Cyrillic a, 40 "digits" with it
    [InlineData("0x5aaeb6053f3e94c9b9a09f33669435e7ef1bea\u200Bd")] // zero-width space
    [InlineData("\uFF100x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed")] // fullwidth 0 before the prefix
    [InlineData("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beae\0")] // NUL in place of a digit
    [InlineData("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beae\u0130")] // dotted capital I (case-folding trap)
    public void TryParse_LookalikeCharacters_ReturnsFalse(string text)
    {
        Assert.False(EthAddress.TryParse(text, out _));
        var e = Assert.Throws<StateChannelException>(() => EthAddress.Parse(text));
        Assert.Equal(ErrorCode.InvalidFormat, e.Code);
    }

    [Fact]
    public void Zero_IsZero_FormatsAsZeros()
    {
        Assert.True(EthAddress.Zero.IsZero);
        Assert.True(default(EthAddress).IsZero);
        Assert.Equal("0x0000000000000000000000000000000000000000", EthAddress.Zero.ToString());
        Assert.False(EthAddress.Parse("0x0000000000000000000000000000000000000001").IsZero);
    }

    [Theory]
    [InlineData(19)]
    [InlineData(21)]
    [InlineData(0)]
    public void FromBytes_WrongLength_ThrowsArgumentException(int length) =>
        Assert.Throws<ArgumentException>(() => EthAddress.FromBytes(new byte[length]));

    [Fact]
    public void FromBytes_RandomBytes_RoundTripThroughBytesAndText()
    {
        Seeded.Run(500, (random, _) =>
        {
            byte[] bytes = random.Bytes(EthAddress.Length);
            var address = EthAddress.FromBytes(bytes);
            Assert.Equal(bytes, address.ToArray());
            Assert.Equal(address, EthAddress.Parse(address.ToString()));
            Assert.Equal(address, EthAddress.Parse(address.ToLowerHex()));
            Assert.Equal(Hex.Encode(bytes), address.ToLowerHex());
            Assert.Equal(address.GetHashCode(), EthAddress.FromBytes(bytes).GetHashCode());
        });
    }

    [Fact]
    public void ToString_RandomAddresses_MatchesNethereumChecksum()
    {
        var util = new Nethereum.Util.AddressUtil();
        Seeded.Run(200, (random, _) =>
        {
            var address = random.NextAddress();
            Assert.Equal(util.ConvertToChecksumAddress(address.ToLowerHex()), address.ToString());
        });
    }

    [Fact]
    public void CompareTo_OrdersAsUnsignedNumbers()
    {
        var low = EthAddress.Parse("0x00000000000000000000000000000000000000ff");
        var mid = EthAddress.Parse("0x0000000000000000000000000000000100000000");
        var high = EthAddress.Parse("0xff00000000000000000000000000000000000000");
        Assert.True(low.CompareTo(mid) < 0);
        Assert.True(mid.CompareTo(high) < 0);
        Assert.True(high.CompareTo(low) > 0);
        Assert.Equal(0, mid.CompareTo(EthAddress.Parse(mid.ToString())));
    }

    [Fact]
    public void Equality_SameAndDifferent_Consistent()
    {
        var a = EthAddress.Parse("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed");
        var b = EthAddress.Parse("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed");
        var c = EthAddress.Parse("0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359");
        Assert.True(a == b);
        Assert.False(a != b);
        Assert.True(a != c);
        Assert.True(a.Equals((object)b));
        Assert.False(a.Equals((object)"0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"));
    }
}
