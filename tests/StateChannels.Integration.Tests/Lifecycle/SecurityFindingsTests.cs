using System.Numerics;
using StateChannels.Integration.Tests.Lifecycle.Support;

namespace StateChannels.Integration.Tests.Lifecycle;

/// <summary>
/// The three findings of the outside review that stole funds (THREATS G1, G3, G4), on a real anvil
/// with the real adjudicator contract, the real <c>EthereumAdjudicator</c>, the real
/// <c>EthereumChainEventSource</c> and the client's own watcher. Mallory is a raw protocol peer
/// (<see cref="RawMallory"/>) with her own account; the griefer a third account (<see cref="Griefer"/>).
/// Every test judges the outcome by chain facts (getChannel, balances to the wei, fees from receipts)
/// and by the victim's channel phases and events.
/// </summary>
[Collection(SecurityCollection.Name)]
public sealed class SecurityFindingsTests(LifecycleChain chain, ITestOutputHelper output) : LifecycleTest(chain, output)
{
    private static readonly TimeSpan Challenge = TimeSpan.FromHours(2);
    private static readonly TimeSpan Poll = LifecycleParty.FastOptions(EthAddress.Zero).ChainPollInterval;

    /// <summary>Mallory's funding ("100"), and Bob's in the variant where he funds too.</summary>
    private static readonly BigInteger MalloryFunds = LifecycleChain.Ether;
    private static readonly BigInteger BobFunds = LifecycleChain.Ether / 2;

    // ---------------------------------------------------------------------------------------------
    // G1 (critical): activation during a dispute
    // ---------------------------------------------------------------------------------------------

    [Fact]
    public Task G1_MalloryRegistersVersionZeroBeforeConfirmingIt_BobNeverActiveRefusesV1AndV0PaysOut() =>
        ActivationDuringDisputeAsync(bobFunds: BigInteger.Zero, deadlinePassed: false);

    [Fact]
    public Task G1_BobFundsToo_HeDepositsNothingIntoTheRegisteredChannelAndLosesNothing() =>
        ActivationDuringDisputeAsync(bobFunds: BobFunds, deadlinePassed: false);

    [Fact]
    public Task G1_DeadlinePassedBeforeTheConfirm_BobNeverActiveAndV0PaysOut() =>
        ActivationDuringDisputeAsync(bobFunds: BigInteger.Zero, deadlinePassed: true);

    /// <summary>
    /// Mallory opens (Bob funds <paramref name="bobFunds"/>, she 100), takes Bob's signature on version 0
    /// and holds back hers, so Bob stays Proposed. She registers the fully signed version 0 and deposits;
    /// Bob's event-driven watcher reads past those blocks (while Bob is Proposed). Only then does she
    /// confirm, propose version 1 paying Bob everything, and wait for the deadline. Bob must never be
    /// Active, never sign version 1, see the dispute, and the chain must pay version 0 exactly.
    /// </summary>
    private async Task ActivationDuringDisputeAsync(BigInteger bobFunds, bool deadlinePassed)
    {
        var bob = await PartyAsync("bob", EthAddress.Zero, followChainEvents: true);
        var mallory = Own(await RawMallory.ConnectAsync(Chain, bob));
        var start = await Chain.BlockNumberAsync();
        var before = await BalancesAsync(start, bob.Address, mallory.Address, Chain.Adjudicator);
        bob.StartWatcher();
        await EventuallyAsync(async () => await WatcherCursorAsync(bob) is not null, "Bob's watcher follows the chain");

        var p = mallory.NewParams(bob.Address, Challenge, MalloryFunds, bobFunds);
        var id = mallory.IdOf(p);
        await using var phases = PhaseLog.Start(bob.Client, id);
        var v0 = await mallory.OpenAsync(p);
        var accept = await mallory.AnswerToAsync(id, 0, Patience);
        Assert.True(accept is { IsAccept: true }, $"precondition: Bob signs version 0 of a channel he accepts; he answered {accept?.ToString() ?? "nothing"}");
        await EventuallyAsync(() => phases.Current == ChannelPhase.Proposed, "Bob holds the channel as Proposed");

        // Mallory has both signatures on version 0; Bob has only his own. She registers it and funds.
        await mallory.Chain.RegisterAsync(p, mallory.FullySigned(v0, accept!));
        await mallory.Chain.DepositAsync(p, 0, Amount.Zero, Amount.FromWei(MalloryFunds));
        if (deadlinePassed)
        {
            await Chain.IncreaseTimeAsync(Challenge + TimeSpan.FromSeconds(1));
        }

        var attackBlocks = await Chain.BlockNumberAsync();
        await EventuallyAsync(async () => await WatcherCursorAsync(bob) >= attackBlocks, "Bob's watcher read past the registration and the deposit");
        await Task.Delay(4 * Poll);
        Output.WriteLine($"before the confirm: Bob {phases}; chain {await mallory.Chain.GetChannelAsync(p)}");

        // Now the Confirm. Today Bob goes Funding -> Active here (his watcher has already passed the registration).
        await mallory.ConfirmAsync(v0);
        await WaitAsync(() => phases.Current is not (ChannelPhase.Proposed or ChannelPhase.Funding), TimeSpan.FromSeconds(10));
        await Task.Delay(4 * Poll);
        var heldAfterConfirm = await mallory.Chain.GetChannelAsync(p);

        // Mallory "pays" Bob everything at version 1; if he signs, she confirms so that he believes it.
        var v1 = v0 with { Version = 1, Balance0 = Amount.Zero, Balance1 = p.GetTotal() };
        await mallory.ProposeAsync(v1, 0);
        var answerV1 = await mallory.AnswerToAsync(id, 1, TimeSpan.FromSeconds(3));
        if (answerV1 is { IsAccept: true })
        {
            await mallory.ConfirmAsync(v1);
            await WaitAsync(() => bob.Events.Any(e => e is PaymentReceived r && r.ChannelId == id), TimeSpan.FromSeconds(10));
        }

        if (!deadlinePassed)
        {
            await Chain.IncreaseTimeAsync(Challenge + TimeSpan.FromSeconds(1));
        }

        // After the deadline Bob's watcher should conclude; anyone may, so if it has not, Mallory does.
        var concludedBy = "Bob's watcher (or a tx of Bob's)";
        if (!await WaitAsync(async () => (await mallory.Chain.GetChannelAsync(p)).Concluded, TimeSpan.FromSeconds(5)))
        {
            concludedBy = "Mallory (nobody else did within 5 s after the deadline)";
            try
            {
                await mallory.Chain.ConcludeAsync(p);
            }
            catch (StateChannelException e) when (e.Code == ErrorCode.TransactionFailed)
            {
                concludedBy = "someone else, just before Mallory";
            }
        }

        await WaitAsync(() => phases.Current == ChannelPhase.Closed, TimeSpan.FromSeconds(10));
        var end = await Chain.BlockNumberAsync();
        var mined = await GasLedger.ScanAsync(Chain, start + 1, end);
        var after = await BalancesAsync(end, bob.Address, mallory.Address, Chain.Adjudicator);
        var final = await mallory.Chain.GetChannelAsync(p);
        var bobEvents = bob.Events.Where(e => e.ChannelId == id).ToList();
        Output.WriteLine($"Bob's phases: {phases}");
        Output.WriteLine($"Bob's events: {string.Join(", ", bobEvents)}");
        Output.WriteLine($"Bob answered Mallory: {string.Join(", ", mallory.Received)}");
        Output.WriteLine($"held after the confirm: {heldAfterConfirm}; concluded by {concludedBy}; final {final}");
        foreach (var t in mined)
        {
            Output.WriteLine($"  tx {t.Operation} from {(t.From == bob.Address ? "Bob" : t.From == mallory.Address ? "Mallory" : t.From.ToString())}{(t.Succeeded ? "" : " (reverted)")}");
        }

        // Bob never becomes Active, and never signs or counts a payment in this channel.
        Assert.DoesNotContain(bobEvents, e => e is ChannelFunded);
        Assert.DoesNotContain(ChannelPhase.Active, phases.Seen);
        Assert.False(answerV1 is { IsAccept: true }, $"Bob signed version 1 (a payment) in a channel under dispute: {answerV1}");
        Assert.DoesNotContain(bobEvents, e => e is PaymentReceived);
        Assert.Equal(0UL, (await bob.StoredRecordAsync(id))?.LastSigned?.State.Version ?? 0UL);

        // He does not deposit into a registered channel.
        Assert.Equal(Amount.Zero, heldAfterConfirm.Held1);
        Assert.DoesNotContain(mined, t => t.From == bob.Address && t.Operation.StartsWith("deposit", StringComparison.Ordinal));

        // He sees the dispute, and the channel ends closed at version 0.
        Assert.True(
            phases.Seen.Contains(ChannelPhase.Disputed) || bobEvents.Any(e => e is DisputeSeen),
            $"Bob never saw the dispute: phases {phases}");
        Assert.True(final.Concluded, "the channel was not concluded");
        Assert.Equal(ChannelPhase.Closed, phases.Current);
        Assert.All(bobEvents.OfType<ChannelClosed>(), c => Assert.Equal(0UL, c.Version)); // what the chain paid out
        Assert.Equal(Amount.Zero, final.Held0);
        Assert.Equal(Amount.Zero, final.Held1);

        // Version 0 pays out exactly: Mallory gets her deposit back, Bob loses only gas; nothing stays in the contract.
        Assert.Equal(-mined.FeesOf(bob.Address), after[bob.Address] - before[bob.Address]);
        Assert.Equal(-mined.FeesOf(mallory.Address), after[mallory.Address] - before[mallory.Address]);
        Assert.Equal(before[Chain.Adjudicator], after[Chain.Adjudicator]);
    }

    // ---------------------------------------------------------------------------------------------
    // G3 (critical): a challenge duration chosen by the peer
    // ---------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(1UL)] // register v0 and conclude in the next block (now also below the 60-s floor of ChannelParams and the contract)
    [InlineData(60UL)] // the floor itself: valid params on chain, so only MinChallengeDuration refuses it
    [InlineData(365UL * 24 * 3600)] // Bob's deposit locked for a year
    public async Task G3_MalloryOpensWithAnExtremeChallengeDuration_BobRefusesBeforeSigningVersionZero(ulong seconds)
    {
        var bob = await PartyAsync("bob", EthAddress.Zero, followChainEvents: true);
        var mallory = Own(await RawMallory.ConnectAsync(Chain, bob));
        bob.StartWatcher();
        var start = await Chain.BlockNumberAsync();
        var p = mallory.NewParams(bob.Address, TimeSpan.FromSeconds(seconds), MalloryFunds, BobFunds);
        var id = mallory.IdOf(p);

        var v0 = await mallory.OpenAsync(p);
        var answer = await mallory.AnswerToAsync(id, 0, TimeSpan.FromSeconds(10));

        // She confirms whatever Bob answered, as an attacker would once he has signed; then Bob's
        // deposit would follow within a few polls.
        await mallory.ConfirmAsync(v0);
        if (answer is { IsAccept: true })
        {
            await WaitAsync(async () => (await mallory.Chain.GetChannelAsync(p)).Held1 > Amount.Zero, TimeSpan.FromSeconds(10));
        }
        else
        {
            await Task.Delay(10 * Poll);
        }

        var view = await mallory.Chain.GetChannelAsync(p);
        var mined = await GasLedger.ScanAsync(Chain, start + 1, await Chain.BlockNumberAsync());
        Output.WriteLine($"challenge {seconds} s: Bob answered {string.Join(", ", mallory.Received)}; chain {view}");

        Assert.True(answer is not null, "Bob did not answer the open at all");
        Assert.False(answer!.IsAccept, $"Bob signed version 0 of a channel with a {seconds}-second challenge duration");
        Assert.Equal(RawWire.Reject, answer.Type);
        Assert.Equal(0UL, answer.Version);
        Assert.Equal(ErrorCode.InvalidParams, answer.Code);
        Assert.Contains("challenge", answer.Reason, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(mallory.Received, m => m.ChannelId == id && m.IsAccept);
        Assert.Null(await bob.StoredRecordAsync(id));
        Assert.DoesNotContain(bob.Client.Channels, c => c.Id == id);
        Assert.Equal(Amount.Zero, view.Held1);
        Assert.DoesNotContain(mined, t => t.From == bob.Address);
    }

    [Theory]
    [InlineData("below the responder's minimum")]
    [InlineData("above the responder's maximum")]
    public async Task G3_TwoClients_OpenerChallengeOutsideTheResponderBounds_OpenFailsWithPeerRejected(string which)
    {
        var below = which.StartsWith("below", StringComparison.Ordinal);
        var alice = await PartyAsync("alice", EthAddress.Zero, o =>
        {
            o.ChallengeDuration = below ? TimeSpan.FromMinutes(30) : TimeSpan.FromDays(8);
            o.MinChallengeDuration = TimeSpan.FromMinutes(1); // her own bounds allow it
            o.MaxChallengeDuration = TimeSpan.FromDays(365);
        });
        var bob = await PartyAsync("bob", EthAddress.Zero, o =>
        {
            o.MinChallengeDuration = TimeSpan.FromHours(1);
            o.MaxChallengeDuration = TimeSpan.FromDays(7);
        });
        var start = await Chain.BlockNumberAsync();
        await ConnectAsync(bob, alice);

        var open = alice.Client.OpenChannelAsync(bob.Address, Amount.FromWei(LifecycleChain.Ether), Amount.FromWei(LifecycleChain.Ether));
        var e = await Assert.ThrowsAsync<StateChannelException>(() => open.WaitAsync(Patience));
        Output.WriteLine($"{which}: {e.Code}: {e.Message}");
        Assert.Equal(ErrorCode.PeerRejected, e.Code);
        Assert.Contains("challenge", e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(alice.Client.Channels);
        Assert.Empty(bob.Client.Channels);
        var mined = await GasLedger.ScanAsync(Chain, start + 1, await Chain.BlockNumberAsync());
        Assert.DoesNotContain(mined, t => t.From == alice.Address || t.From == bob.Address);
    }

    // ---------------------------------------------------------------------------------------------
    // G4 (high): third-party deposit griefing
    // ---------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("1 wei")]
    [InlineData("1 wei in the same block, after the victim's estimate")]
    [InlineData("the victim's full funding")]
    public async Task G4_GrieferFrontRunsEveryDeposit_ChannelFundsPaysAndClosesExactlyWithNothingLocked(string griefing)
    {
        var oneWei = griefing.StartsWith("1 wei", StringComparison.Ordinal);
        var funding0 = 2 * LifecycleChain.Ether;
        var funding1 = LifecycleChain.Ether;
        var griefer = Own(await Griefer.CreateAsync(Chain));
        var sameBlock = griefing.Contains("same block", StringComparison.Ordinal);
        var wrap = griefer.Wrap(victimAmount => oneWei ? Amount.FromWei(1) : victimAmount, sameBlock);
        var alice = await PartyAsync("alice", EthAddress.Zero, o => o.FundingTimeout = TimeSpan.FromSeconds(20), followChainEvents: true, wrap: wrap);
        var bob = await PartyAsync("bob", EthAddress.Zero, o => o.FundingTimeout = TimeSpan.FromSeconds(20), followChainEvents: true, wrap: wrap);
        alice.StartWatcher();
        bob.StartWatcher();
        var start = await Chain.BlockNumberAsync();
        var accounts = new[] { alice.Address, bob.Address, griefer.Address, Chain.Adjudicator };
        var before = await BalancesAsync(start, accounts);
        await ConnectAsync(alice, bob);

        var channel = await alice.Client.OpenChannelAsync(bob.Address, Amount.FromWei(funding0), Amount.FromWei(funding1)).WaitAsync(Patience);
        var bobChannel = bob.Client.GetChannel(channel.Id);
        await EventuallyAsync(() => bobChannel.Phase == ChannelPhase.Active, "Bob sees the channel funded");
        var fundedAt = await Chain.BlockNumberAsync();
        var funded = await BalancesAsync(fundedAt, accounts);
        var minedToFunding = await GasLedger.ScanAsync(Chain, start + 1, fundedAt);
        BigInteger PaidIn(LifecycleParty party) => before[party.Address] - funded[party.Address] - minedToFunding.FeesOf(party.Address);
        var landed0 = griefer.LandedFor(channel.Id, 0);
        var landed1 = griefer.LandedFor(channel.Id, 1);
        Output.WriteLine($"{griefing}: griefer attempts {griefer.Attempts}, landed {landed0} for alice and {landed1} for bob; " +
            $"alice paid in {PaidIn(alice)}, bob {PaidIn(bob)}; deposit calls alice {alice.Gate.DepositCalls}, bob {bob.Gate.DepositCalls}");
        Assert.True(alice.Gate.DepositCalls >= 1 && bob.Gate.DepositCalls >= 1, "both parties deposited (and were front-run)");
        Assert.Equal(alice.Gate.DepositCalls + bob.Gate.DepositCalls, griefer.Attempts);
        Assert.Equal(sameBlock ? griefer.Attempts : 0, griefer.SameBlock); // each griefer tx was mined just ahead of the victim's

        // Nobody is charged twice: what a party paid in never exceeds its funding, and nothing at all
        // when the griefer had already put its full funding there.
        Assert.InRange(PaidIn(alice), BigInteger.Zero, oneWei ? funding0 : BigInteger.Zero);
        Assert.InRange(PaidIn(bob), BigInteger.Zero, oneWei ? funding1 : BigInteger.Zero);

        // Payments flow both ways.
        for (var i = 0; i < 5; i++)
        {
            await channel.PayAsync(Amount.FromWei(LifecycleChain.Ether / 10));
            await bobChannel.PayAsync(Amount.FromWei(LifecycleChain.Ether / 20));
        }

        await EventuallyAsync(() => bobChannel.Latest?.State.Version == channel.Latest!.State.Version, "Bob is up to date");
        await channel.CloseAsync().WaitAsync(Patience);
        await EventuallyAsync(() => bobChannel.Phase == ChannelPhase.Closed, "Bob's watcher sees the channel concluded");
        var latest = channel.Latest!;
        var end = await Chain.BlockNumberAsync();
        var after = await BalancesAsync(end, accounts);
        var mined = await GasLedger.ScanAsync(Chain, start + 1, end);
        foreach (var t in mined)
        {
            Output.WriteLine($"  tx {t.Operation} from {Name(t.From, alice, bob, griefer)}{(t.Succeeded ? "" : " (reverted)")}");
        }

        // The close pays each its final balance plus what the griefer credited to it beyond its
        // funding (the contract's excess rule); the griefer is out exactly what landed; nothing stays locked.
        var view = await alice.Chain.GetChannelAsync(channel.Params);
        Assert.True(view.Concluded);
        Assert.Equal(Amount.Zero, view.Held0);
        Assert.Equal(Amount.Zero, view.Held1);
        Assert.Equal(
            latest.State.Balance0.ToBigInteger() - funding0 + landed0 - mined.FeesOf(alice.Address),
            after[alice.Address] - before[alice.Address]);
        Assert.Equal(
            latest.State.Balance1.ToBigInteger() - funding1 + landed1 - mined.FeesOf(bob.Address),
            after[bob.Address] - before[bob.Address]);
        Assert.Equal(-griefer.LandedTotal - mined.FeesOf(griefer.Address), after[griefer.Address] - before[griefer.Address]);
        Assert.Equal(before[Chain.Adjudicator], after[Chain.Adjudicator]);
        Assert.Equal(Amount.Zero, await alice.Chain.GetCreditAsync(alice.Address, EthAddress.Zero));
        Assert.Equal(Amount.Zero, await bob.Chain.GetCreditAsync(bob.Address, EthAddress.Zero));
    }

    // ---------------------------------------------------------------------------------------------

    private static string Name(EthAddress a, LifecycleParty alice, LifecycleParty bob, Griefer griefer) =>
        a == alice.Address ? "alice" : a == bob.Address ? "bob" : a == griefer.Address ? "griefer" : a.ToString();

    private static async Task<ulong?> WatcherCursorAsync(LifecycleParty party) =>
        await party.Store.GetCursorAsync(StateChannelClient.WatcherCursorName);

    private async Task<Dictionary<EthAddress, BigInteger>> BalancesAsync(ulong block, params EthAddress[] accounts)
    {
        var result = new Dictionary<EthAddress, BigInteger>();
        foreach (var a in accounts)
        {
            result[a] = await Chain.EthBalanceAsync(a, block);
        }

        return result;
    }

    /// <summary>Waits up to <paramref name="within"/> for <paramref name="condition"/>; false if it did not come (no failure).</summary>
    private static async Task<bool> WaitAsync(Func<bool> condition, TimeSpan within) =>
        await WaitAsync(() => Task.FromResult(condition()), within);

    private static async Task<bool> WaitAsync(Func<Task<bool>> condition, TimeSpan within)
    {
        var until = DateTime.UtcNow + within;
        while (!await condition())
        {
            if (DateTime.UtcNow >= until)
            {
                return false;
            }

            await Task.Delay(20);
        }

        return true;
    }
}
