namespace StateChannels.Tests.Primitives;

public class HexTests
{
    [Theory]
    [InlineData(new byte[0], "0x")]
    [InlineData(new byte[] { 0x00 }, "0x00")]
    [InlineData(new byte[] { 0xde, 0xad, 0xBE, 0xef }, "0xdeadbeef")]
    public void Encode_Bytes_LowerCaseWithPrefix(byte[] bytes, string expected) =>
        Assert.Equal(expected, Hex.Encode(bytes));

    [Fact]
    public void Encode_LargeInput_RoundTrips()
    {
        byte[] bytes = Enumerable.Range(0, 1000).Select(i => (byte)i).ToArray();
        Assert.Equal(bytes, Hex.Decode(Hex.Encode(bytes)));
    }

    [Theory]
    [InlineData("0x", new byte[0])]
    [InlineData("0x00ff", new byte[] { 0x00, 0xff })]
    [InlineData("0xAbCd", new byte[] { 0xab, 0xcd })]
    public void Decode_WellFormed_ReturnsBytes(string text, byte[] expected) =>
        Assert.Equal(expected, Hex.Decode(text));

    [Theory]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("00ff")]
    [InlineData("0X00ff")]
    [InlineData("x00ff")]
    [InlineData("0x0")]
    [InlineData("0x0g")]
    [InlineData("0x 00")]
    [InlineData(" 0x00")]
    [InlineData("0x00 ")]
    [InlineData("0x-1")]
    [InlineData("0x+1")]
    [InlineData("0x٠١")] // Arabic-Indic digits
    public void TryDecode_Malformed_ReturnsFalse(string text)
    {
        Assert.False(Hex.TryDecode(text, out byte[]? bytes));
        Assert.Null(bytes);
        var ex = Assert.Throws<StateChannelException>(() => Hex.Decode(text));
        Assert.Equal(ErrorCode.InvalidFormat, ex.Code);
    }

    [Theory]
    [InlineData("0x0011", 2, true)]
    [InlineData("0x001122", 2, false)]
    [InlineData("0x00", 2, false)]
    [InlineData("0x001g", 2, false)]
    public void TryDecode_FixedLength_RequiresExactDigitCount(string text, int length, bool expected)
    {
        Span<byte> destination = stackalloc byte[length];
        Assert.Equal(expected, Hex.TryDecode(text, destination));
    }
}
