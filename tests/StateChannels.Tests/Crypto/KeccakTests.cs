using System.Text;
using Nethereum.Util;
using StateChannels.Tests.Support;

namespace StateChannels.Tests.Crypto;

public class KeccakTests
{
    [Theory]
    [InlineData("", "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")]
    [InlineData("abc", "0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45")]
    [InlineData("transfer(address,uint256)", "0xa9059cbb2ab09eb219583f4a59a5d0623ade346d962bcd4e46b11da047c9049b")]
    public void Hash_KnownInputs_KnownDigests(string input, string expected) =>
        Assert.Equal(expected, Keccak.Hash(Encoding.UTF8.GetBytes(input)).ToString());

    [Fact]
    public void Hash_EveryLengthAroundBlockBoundaries_MatchesNethereum()
    {
        // Rate is 136 bytes: cover empty, partial, exact and multi-block inputs.
        Seeded.Run(700, (random, length) =>
        {
            byte[] data = random.Bytes(length);
            Assert.Equal(Sha3Keccack.Current.CalculateHash(data), Keccak.Hash(data).ToArray());
        });
    }

    [Fact]
    public void Hash_DestinationOverlapsInput_StillCorrect()
    {
        byte[] buffer = Encoding.UTF8.GetBytes("an input longer than thirty-two bytes, hashed in place");
        byte[] expected = Sha3Keccack.Current.CalculateHash(buffer);
        Keccak.Hash(buffer, buffer);
        Assert.Equal(expected, buffer[..32]);
    }

    [Fact]
    public void Hash_ShortDestination_ThrowsArgumentException() =>
        Assert.Throws<ArgumentException>(() => Keccak.Hash(ReadOnlySpan<byte>.Empty, new byte[31]));
}
