namespace StateChannels.Tests.Crypto;

public class Eip712Tests
{
    private static readonly Eip712Domain Domain = new(31337, EthAddress.Parse("0x5FbDB2315678afecb367f032d93F642f64180aa3"));

    [Fact]
    public void StateTypeHash_IsKeccakOfSpecTypeString() =>
        Assert.Equal(
            Keccak.Hash("State(bytes32 channelId,uint64 version,uint256 balance0,uint256 balance1,bool isFinal)"u8),
            Eip712.StateTypeHash);

    [Fact]
    public void DomainTypeHash_IsStandardEip712DomainHash() =>
        Assert.Equal("0x8b73c3c69bb8fe3d512ecc4cf759cc79239f7b179b0ffacaa9a75d522b39400f", Eip712.DomainTypeHash.ToString());

    [Fact]
    public void HashHandshake_SameBytesAsState_NeverCollidesWithStateDigest()
    {
        // A handshake over challenge = channelId can never be replayed as a state signature.
        var id = ChannelId.Parse("0x" + new string('7', 64));
        var state = new ChannelState(id, 0, Amount.Zero, Amount.Zero, false);
        Assert.NotEqual(Eip712.HashState(Domain, state), Eip712.HashHandshake(Domain, id.ToHash32(), EthAddress.Zero));
    }

    [Fact]
    public void HashHandshake_DifferentPeer_DifferentDigest()
    {
        Hash32 challenge = Hash32.CreateRandom();
        Assert.NotEqual(
            Eip712.HashHandshake(Domain, challenge, EthAddress.Parse("0x0000000000000000000000000000000000000001")),
            Eip712.HashHandshake(Domain, challenge, EthAddress.Parse("0x0000000000000000000000000000000000000002")));
    }

    [Fact]
    public void NullArguments_ThrowArgumentNull()
    {
        Assert.Throws<ArgumentNullException>(() => Eip712.HashState(null!, default));
        Assert.Throws<ArgumentNullException>(() => Eip712.ComputeChannelId(Domain, null!));
        Assert.Throws<ArgumentNullException>(() => Eip712.HashHandshake(null!, Hash32.Zero, EthAddress.Zero));
    }
}
