using System.Numerics;
using StateChannels.Integration.Tests.Lifecycle.Support;

namespace StateChannels.Integration.Tests.Lifecycle;

/// <summary>
/// The unilateral exits on a real anvil: Mallory registers an old state and the victim's watcher
/// refutes it unasked; a peer that vanishes mid-update is force closed; a peer that never funds
/// costs us nothing but gas. In each, the chain pays exactly the latest state (or the deposits).
/// </summary>
[Collection(LifecycleCollection.Name)]
public sealed class DisputeLifecycleTests(LifecycleChain chain, ITestOutputHelper output) : LifecycleTest(chain, output)
{
    private static readonly TimeSpan Challenge = TimeSpan.FromHours(1);
    private static readonly BigInteger Funding0 = 5 * LifecycleChain.Ether;
    private static readonly BigInteger Funding1 = 3 * LifecycleChain.Ether;

    [Fact]
    public async Task Watcher_MalloryRegistersVersionZeroAfter100Payments_RefutedUnaskedAndMalloryGetsOnlyHerLatestBalance()
    {
        var mallory = await PartyAsync("mallory", EthAddress.Zero);
        var victim = await PartyAsync("victim", EthAddress.Zero);
        var start = await Chain.BlockNumberAsync();
        var before = await HoldingsAsync(EthAddress.Zero, start, mallory, victim);
        victim.StartWatcher();
        await ConnectAsync(mallory, victim);
        var channel = await mallory.Client.OpenChannelAsync(victim.Address, Amount.FromWei(Funding0), Amount.FromWei(Funding1));
        var versionZero = channel.Latest!;
        Assert.Equal(0UL, versionZero.State.Version);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < 100; i++)
        {
            await channel.PayAsync(Amount.FromWei(LifecycleChain.Ether / 100));
        }

        LifecycleFigures.RecordTime("ETH: one payment, awaited before the next (mean of 100, TCP + LiteDB both sides)", clock.Elapsed / 100);
        LifecycleChain.RecordStorageContext();

        var victimChannel = victim.Client.GetChannel(channel.Id);
        await EventuallyAsync(() => victimChannel.Latest?.State.Version == channel.Latest!.State.Version, "the victim has the latest state");
        var latest = victimChannel.Latest!;
        Assert.Equal(100UL, latest.State.Version);

        // Mallory goes rogue: her client stops and she registers version 0 (she held 5 ETH there, 4 now).
        await mallory.StopAsync();
        await mallory.Chain.RegisterAsync(channel.Params, versionZero);

        var refuted = await victim.WaitForEventAsync<DisputeRefuted>(e => e.ChannelId == channel.Id, Patience);
        Assert.Equal(0UL, refuted.Registered);
        Assert.Equal(latest.State.Version, refuted.Refuted);
        Assert.Equal(latest.State.Version, (await victim.Chain.GetChannelAsync(channel.Params)).RegisteredVersion);

        await Chain.IncreaseTimeAsync(Challenge + TimeSpan.FromSeconds(1));
        await victim.WaitForEventAsync<ChannelClosed>(e => e.ChannelId == channel.Id, Patience);
        Assert.Equal(ChannelPhase.Closed, victimChannel.Phase);

        var end = await Chain.BlockNumberAsync();
        var after = await HoldingsAsync(EthAddress.Zero, end, mallory, victim);
        var mined = await MinedSinceAsync(start + 1);
        Assert.Single(mined, t => t.Operation == "register" && t.From == mallory.Address);
        Assert.Single(mined, t => t.Operation == "refute" && t.From == victim.Address);
        Assert.Single(mined, t => t.Operation == "conclude ETH" && t.Succeeded);
        await AssertSettledAsync(
            EthAddress.Zero, before, after, mined,
            (mallory, Funding0, latest.State.Balance0.ToBigInteger()),
            (victim, Funding1, latest.State.Balance1.ToBigInteger()));
        Assert.Equal(4 * LifecycleChain.Ether, latest.State.Balance0.ToBigInteger());
    }

    [Fact]
    public async Task Watcher_VictimOfflineWhenMalloryRegisters_RestartsFromItsFileAndRefutesBeforeTheDeadline()
    {
        var mallory = await PartyAsync("mallory", EthAddress.Zero);
        var victim = await PartyAsync("victim", EthAddress.Zero);
        var start = await Chain.BlockNumberAsync();
        var before = await HoldingsAsync(EthAddress.Zero, start, mallory, victim);
        await ConnectAsync(mallory, victim);
        var channel = await mallory.Client.OpenChannelAsync(victim.Address, Amount.FromWei(Funding0), Amount.FromWei(Funding1));
        var versionZero = channel.Latest!;
        for (var i = 0; i < 20; i++)
        {
            await channel.PayAsync(Amount.FromWei(LifecycleChain.Ether / 10));
        }

        var victimChannel = victim.Client.GetChannel(channel.Id);
        await EventuallyAsync(() => victimChannel.Latest?.State.Version == 20UL, "the victim has the latest state");
        var latest = victimChannel.Latest!;

        // The victim goes offline; Mallory registers version 0 and half the challenge period passes.
        await victim.StopAsync();
        await mallory.StopAsync();
        await mallory.Chain.RegisterAsync(channel.Params, versionZero);
        await Chain.IncreaseTimeAsync(Challenge / 2);

        // Back from its LiteDB file, the victim's watcher refutes with the stored latest state.
        victim = await RestartAsync(victim, EthAddress.Zero);
        victim.StartWatcher();
        var refuted = await victim.WaitForEventAsync<DisputeRefuted>(e => e.ChannelId == channel.Id, Patience);
        Assert.Equal(latest.State.Version, refuted.Refuted);
        await Chain.IncreaseTimeAsync((Challenge / 2) + TimeSpan.FromSeconds(1));
        await victim.WaitForEventAsync<ChannelClosed>(e => e.ChannelId == channel.Id, Patience);

        var end = await Chain.BlockNumberAsync();
        var after = await HoldingsAsync(EthAddress.Zero, end, mallory, victim);
        var mined = await MinedSinceAsync(start + 1);
        Assert.Single(mined, t => t.Operation == "refute" && t.From == victim.Address);
        await AssertSettledAsync(
            EthAddress.Zero, before, after, mined,
            (mallory, Funding0, latest.State.Balance0.ToBigInteger()),
            (victim, Funding1, latest.State.Balance1.ToBigInteger()));
    }

    [Theory]
    [InlineData("ETH")]
    [InlineData("ERC-20")]
    public async Task ForceClose_PeerGoesSilentWithPaymentInFlight_OurLatestBalanceArrivesAfterTheDeadline(string assetName)
    {
        var asset = assetName == "ETH" ? EthAddress.Zero : Chain.Token;
        var alice = await PartyAsync("alice", asset, o => o.UpdateTimeout = TimeSpan.FromSeconds(2));
        var bob = await PartyAsync("bob", asset);
        await MintFundingAsync(asset, (alice, Funding0), (bob, Funding1));
        var start = await Chain.BlockNumberAsync();
        var before = await HoldingsAsync(asset, start, alice, bob);
        alice.StartWatcher();
        var link = await ConnectAsync(alice, bob);
        var channel = await alice.Client.OpenChannelAsync(bob.Address, Amount.FromWei(Funding0), Amount.FromWei(Funding1));
        var bobChannel = bob.Client.GetChannel(channel.Id);
        await EventuallyAsync(() => bobChannel.Phase == ChannelPhase.Active, "Bob sees the channel funded");
        for (var i = 0; i < 20; i++)
        {
            await channel.PayAsync(Amount.FromWei(LifecycleChain.Ether / 10));
            await bobChannel.PayAsync(Amount.FromWei(LifecycleChain.Ether / 20));
        }

        await EventuallyAsync(() => bobChannel.Latest?.State.Version == channel.Latest!.State.Version, "Bob is up to date");
        var latest = channel.Latest!;

        // Bob receives the next proposal, signs it, and vanishes before his answer leaves.
        link.Dialled.SilenceAfterNextProposal();
        var inFlight = channel.PayAsync(Amount.FromWei(LifecycleChain.Ether));
        await link.Dialled.Silenced.WaitAsync(Patience);
        var signedByBob = latest.State.Version + 1;
        await EventuallyAsync(async () => (await bob.StoredRecordAsync(channel.Id))?.LastSigned?.State.Version == signedByBob, "Bob signed the proposal");
        await bob.StopAsync();

        var forceClose = channel.ForceCloseAsync();
        await alice.WaitForEventAsync<DisputeSeen>(e => e.ChannelId == channel.Id, Patience);
        await Chain.IncreaseTimeAsync(Challenge + TimeSpan.FromSeconds(1));
        await forceClose.WaitAsync(Patience);
        Assert.Equal(ChannelPhase.Closed, channel.Phase);

        // The payment that never completed must not hang its caller once the channel is closed.
        var failed = await Assert.ThrowsAsync<StateChannelException>(() => inFlight.WaitAsync(Patience));
        Assert.Equal(ErrorCode.WrongPhase, failed.Code);

        var end = await Chain.BlockNumberAsync();
        var after = await HoldingsAsync(asset, end, alice, bob);
        var mined = await MinedSinceAsync(start + 1);
        Assert.Single(mined, t => t.Operation == "register" && t.From == alice.Address);
        Assert.Single(mined, t => t.Operation == $"conclude {assetName}" && t.Succeeded);
        await AssertSettledAsync(
            asset, before, after, mined,
            (alice, Funding0, latest.State.Balance0.ToBigInteger()),
            (bob, Funding1, latest.State.Balance1.ToBigInteger()));
    }

    [Theory]
    [InlineData("ETH")]
    [InlineData("ERC-20")]
    public async Task FundingTimeout_PeerNeverFunds_OurDepositIsRefundedExactly(string assetName)
    {
        var asset = assetName == "ETH" ? EthAddress.Zero : Chain.Token;
        var alice = await PartyAsync("alice", asset, o => o.FundingTimeout = TimeSpan.FromSeconds(2));
        var bob = await PartyAsync("bob", asset);
        bob.Gate.RefuseDeposits = true;
        await MintFundingAsync(asset, (alice, Funding0), (bob, Funding1));
        var start = await Chain.BlockNumberAsync();
        var before = await HoldingsAsync(asset, start, alice, bob);
        alice.StartWatcher();
        await ConnectAsync(alice, bob);

        var e = await Assert.ThrowsAsync<StateChannelException>(
            () => alice.Client.OpenChannelAsync(bob.Address, Amount.FromWei(Funding0), Amount.FromWei(Funding1)));
        Assert.Equal(ErrorCode.Timeout, e.Code);
        // Bob's deposits never land (the gate drops them): he tries MaxDepositAttempts times, then waits.
        Assert.Equal(LifecycleParty.FastOptions(asset).MaxDepositAttempts, bob.Gate.DepositCalls);
        var timedOut = await alice.WaitForEventAsync<FundingTimedOut>(_ => true, Patience);
        var channel = alice.Client.GetChannel(timedOut.ChannelId);
        Assert.Equal(Amount.FromWei(Funding0), (await alice.Chain.GetChannelAsync(channel.Params)).Held0);
        Assert.Equal(Amount.Zero, (await alice.Chain.GetChannelAsync(channel.Params)).Held1);

        // The refund starts by itself (version 0 is registered); the watcher concludes after the deadline.
        await alice.WaitForEventAsync<DisputeSeen>(d => d.ChannelId == channel.Id, Patience);
        await Chain.IncreaseTimeAsync(Challenge + TimeSpan.FromSeconds(1));
        await alice.WaitForEventAsync<ChannelClosed>(c => c.ChannelId == channel.Id, Patience);
        Assert.Equal(ChannelPhase.Closed, channel.Phase);

        var end = await Chain.BlockNumberAsync();
        var after = await HoldingsAsync(asset, end, alice, bob);
        var mined = await MinedSinceAsync(start + 1);
        Assert.DoesNotContain(mined, t => t.From == bob.Address);
        Assert.Single(mined, t => t.Operation == $"conclude {assetName} (one side paid)");
        await AssertSettledAsync(asset, before, after, mined, (alice, Funding0, Funding0), (bob, BigInteger.Zero, BigInteger.Zero));
    }

    private async Task MintFundingAsync(EthAddress asset, params (LifecycleParty Party, BigInteger Amount)[] funding)
    {
        if (asset == EthAddress.Zero)
        {
            return;
        }

        foreach (var (party, amount) in funding)
        {
            await Chain.MintAsync(party.Address, amount);
        }
    }
}
