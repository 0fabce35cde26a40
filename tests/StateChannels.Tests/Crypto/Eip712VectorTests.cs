using StateChannels.Tests.Support;

namespace StateChannels.Tests.Crypto;

/// <summary>tests/vectors/eip712.json: states signed by ethers' Wallet.signTypedData (contracts/script/vectors.mjs).</summary>
public class Eip712VectorTests
{
    public static TheoryData<string> Names => VectorFile.Names();

    private static (Eip712Domain Domain, ChannelParams Params, ChannelState State) Load(VectorCase v)
    {
        var domain = new Eip712Domain((ulong)v.ChainId, EthAddress.Parse(v.Adjudicator));
        var parameters = new ChannelParams(
            EthAddress.Parse(v.Participant0),
            EthAddress.Parse(v.Participant1),
            EthAddress.Parse(v.Asset),
            (ulong)v.ChallengeDuration,
            Hash32.Parse(v.Nonce),
            Amount.FromWei(v.Funding0),
            Amount.FromWei(v.Funding1));
        var state = new ChannelState(
            Eip712.ComputeChannelId(domain, parameters),
            (ulong)v.Version,
            Amount.FromWei(v.Balance0),
            Amount.FromWei(v.Balance1),
            v.IsFinal);
        return (domain, parameters, state);
    }

    [Fact]
    public void VectorFile_Loaded_HasCoverage()
    {
        IReadOnlyList<VectorCase> cases = VectorFile.Cases;
        Assert.True(cases.Count >= 8);
        Assert.Contains(cases, c => c.Version == ulong.MaxValue);
        Assert.Contains(cases, c => c.Version == 0);
        Assert.Contains(cases, c => c.IsFinal);
        Assert.Contains(cases, c => c.Asset != "0x0000000000000000000000000000000000000000");
        Assert.Contains(cases, c => c.ChainId == 1);
        Assert.Contains(cases, c => c.ChainId == 31337);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void ComputeChannelId_Vector_MatchesEthers(string name)
    {
        VectorCase v = VectorFile.Get(name);
        (_, ChannelParams parameters, ChannelState state) = Load(v);
        Assert.Equal(v.ChannelId, state.ChannelId.ToString());
        parameters.Validate();
        Assert.Equal(parameters.GetTotal(), state.Balance0.Add(state.Balance1));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void HashState_Vector_DomainStructAndDigestMatchEthers(string name)
    {
        VectorCase v = VectorFile.Get(name);
        (Eip712Domain domain, _, ChannelState state) = Load(v);
        Assert.Equal(v.DomainSeparator, domain.StateDomainSeparator.ToString());
        Assert.Equal(v.StructHash, Eip712.HashStateStruct(state).ToString());
        Assert.Equal(v.Digest, Eip712.HashState(domain, state).ToString());
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Recover_EthersSignatures_GiveParticipants(string name)
    {
        VectorCase v = VectorFile.Get(name);
        (Eip712Domain domain, ChannelParams parameters, ChannelState state) = Load(v);
        Hash32 digest = Eip712.HashState(domain, state);
        Assert.Equal(parameters.Participant0, Ecdsa.Recover(digest, Signature.Parse(v.Sig0)));
        Assert.Equal(parameters.Participant1, Ecdsa.Recover(digest, Signature.Parse(v.Sig1)));
        Assert.False(Ecdsa.Verify(digest, Signature.Parse(v.Sig0), parameters.Participant1));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Sign_VectorKeys_ByteIdenticalToEthers(string name)
    {
        VectorCase v = VectorFile.Get(name);
        (Eip712Domain domain, ChannelParams parameters, ChannelState state) = Load(v);
        Hash32 digest = Eip712.HashState(domain, state);
        using var key0 = PrivateKey.Parse(v.PrivateKey0);
        using var key1 = PrivateKey.Parse(v.PrivateKey1);
        Assert.Equal(parameters.Participant0, key0.Address);
        Assert.Equal(parameters.Participant1, key1.Address);
        Assert.Equal(v.Sig0, key0.Sign(digest).ToString());
        Assert.Equal(v.Sig1, key1.Sign(digest).ToString());
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void HashState_ChangedField_ChangesDigest(string name)
    {
        VectorCase v = VectorFile.Get(name);
        (Eip712Domain domain, _, ChannelState state) = Load(v);
        Hash32 digest = Eip712.HashState(domain, state);
        Assert.NotEqual(digest, Eip712.HashState(domain, state with { IsFinal = !state.IsFinal }));
        Assert.NotEqual(digest, Eip712.HashState(domain, state with { Version = state.Version ^ 1 }));
        Assert.NotEqual(digest, Eip712.HashState(domain, state with { Balance0 = state.Balance1, Balance1 = state.Balance0 == state.Balance1 ? state.Balance0.Add(1UL) : state.Balance0 }));
        Assert.NotEqual(digest, Eip712.HashState(new Eip712Domain(domain.ChainId + 1, domain.Adjudicator), state));
    }
}
