using StateChannels.Testing;
using StateChannels.Tests.Support;

namespace StateChannels.Tests.Client;

/// <summary>Funding survives a flaky chain view: a failed read is never taken as "not funded" for good, nor as funded.</summary>
public sealed class FundingTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);
    private readonly SimulatedChain _chain = new(new Eip712Domain(31337, EthAddress.Parse("0x5FbDB2315678afecb367f032d93F642f64180aa3")));

    [Fact]
    public async Task OpenChannel_ChainReadsFailAtFirst_KeepsWaitingAndBecomesActive()
    {
        var key = PrivateKey.Create();
        var flaky = new CountingAdjudicator(_chain.For(key.Address)) { FailViews = 3 };
        await using var alice = await Party.CreateAsync("alice", _chain, keyOf: key, adjudicator: flaky);
        await using var bob = await Party.CreateAsync("bob", _chain);
        Party.Connect(alice, bob);

        var channel = await alice.Client.OpenChannelAsync(bob.Address, 100, 100).WaitAsync(Limit);

        Assert.Equal(ChannelPhase.Active, channel.Phase);
        Assert.True(flaky.ViewReads > 3);
        Assert.True(flaky.FailViews < 0); // all three failures were hit
    }
}
