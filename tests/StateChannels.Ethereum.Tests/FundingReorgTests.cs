namespace StateChannels.Ethereum.Tests;

/// <summary>Funding and reorgs on anvil (A12, invariant 5): a deposit that a reorg removes never counts.</summary>
public sealed class FundingReorgTests(AnvilFixture fx) : IClassFixture<AnvilFixture>
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Funding_ReorgRemovesPeersDepositBelowConfirmationDepth_ChannelStaysUnfundedUntilARealDeposit()
    {
        // Alice reads at depth 3 and funds nothing; Bob funds 1000 and (carelessly) trusts depth 1.
        await using var alice = await AnvilParty.CreateAsync(fx, fx.Keys[1], depth: 3, AnvilParty.Options(maxAcceptedFunding: 0));
        await using var bob = await AnvilParty.CreateAsync(fx, fx.Keys[2], depth: 1);
        AnvilParty.Connect(alice, bob);
        var opening = alice.Client.OpenChannelAsync(bob.Address, Amount.Zero, 1_000);
        await AnvilParty.WaitUntilAsync(() => bob.Client.Channels.Any(c => c.Phase == ChannelPhase.Active), Limit);
        var bobChannel = bob.Client.Channels.Single();
        var aliceChannel = alice.Client.GetChannel(bobChannel.Id);
        var p = bobChannel.Params;

        // Bob's deposit is in the head block: 1 deep, below Alice's depth.
        Assert.Equal(Amount.Zero, (await alice.Chain.GetChannelAsync(p)).Held1);
        Assert.Equal(p.Funding1, (await bob.Chain.GetChannelAsync(p)).Held1);

        // A reorg replaces that block with an empty one; the chain then grows well past the depth.
        await fx.Node.RpcAsync("anvil_reorg", 1, Array.Empty<object>());
        await fx.Node.MineAsync(5);
        Assert.Equal(Amount.Zero, (await alice.Chain.GetChannelAsync(p)).Held1);
        Assert.Equal(Amount.Zero, (await bob.Chain.GetChannelAsync(p)).Held1);

        // Not funded for Alice: she refuses every payment state, and her open does not complete.
        var refused = await Assert.ThrowsAsync<StateChannelException>(() => bobChannel.PayAsync(1).WaitAsync(Limit));
        Assert.Equal(ErrorCode.PeerRejected, refused.Code);
        Assert.Equal(ChannelPhase.Funding, aliceChannel.Phase);
        Assert.Equal(0UL, aliceChannel.Latest!.State.Version);
        Assert.False(opening.IsCompleted, opening.Exception?.ToString() ?? opening.Status.ToString());

        // A real deposit, confirmed to Alice's depth, funds the channel; then payments flow.
        var funder = await fx.ConnectAsync(fx.Keys[3]);
        await funder.DepositAsync(p, 1, Amount.Zero, p.Funding1);
        await fx.Node.MineAsync(2);
        await opening.WaitAsync(Limit);
        Assert.Equal(ChannelPhase.Active, aliceChannel.Phase);
        await bobChannel.PayAsync(1).WaitAsync(Limit);
        await AnvilParty.WaitUntilAsync(() => aliceChannel.MyBalance == new Amount(1), Limit);
    }

    [Fact]
    public async Task GetChannelAsync_ConfirmedBlockBeforeTheDeployment_ThrowsChainRpcFailureNotNullReference()
    {
        // Depth 1000 on a young chain: the confirmed block is block 0, where the adjudicator has no code.
        var chain = await fx.ConnectAsync(fx.Keys[4], AnvilFixture.FastOptions(depth: 1000));
        var p = AnvilFixture.NewChannel(fx.Keys[5].Address, fx.Keys[6].Address, 1, 1);
        var e = await Assert.ThrowsAsync<StateChannelException>(() => chain.GetChannelAsync(p).AsTask());
        Assert.Equal(ErrorCode.ChainRpcFailure, e.Code);
    }
}
