using StateChannels.Protocol;
using StateChannels.Testing;
using StateChannels.Tests.Support;
using static StateChannels.Tests.Support.RawWire;

namespace StateChannels.Tests.Client;

/// <summary>
/// Third outside review: attacks on and around the second review's fixes (the unsettled state in
/// TransitionRules, ProposalAbandoned, funding, the watcher). Mallory (participant 0) is played raw
/// by <see cref="RawPeer"/> against Bob's real engine on the simulated chain; each test asserts what
/// an honest Bob must get, so a red test is a finding.
/// </summary>
public sealed class ThirdReviewAttackTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    private static StateChannelClientOptions Options()
    {
        var options = Party.FastOptions();
        options.CloseSubmitDelay = TimeSpan.FromMilliseconds(200);
        options.UpdateTimeout = TimeSpan.FromSeconds(5);
        return options;
    }

    /// <summary>
    /// Goal 1. The unsettled-state rule guards Bob as responder only; as proposer he completes his
    /// proposal on whatever base it was built on. Mallory pays Bob 50 at v2, Bob signs, Mallory says
    /// ProposalAbandoned (which frees Bob to propose). Bob pays Mallory 5: his v3 is built on v1.
    /// Mallory now sends her Confirm of v2 (Bob's last signed intent is still v2, so he adopts it and
    /// reports 50 received), then her Accept of v3: Bob completes v3, built on v1, above v2. His
    /// latest now pays him v1 - 5 = 105, although he counted 110 + 50 - 5 = 155: the 50 he reported
    /// received is taken back by a fully signed state above it (Mallory registers or closes with v3).
    /// </summary>
    [Fact]
    public async Task UnsettledAbandoned_BobProposesOnOldBase_PeerConfirmsUnsettledThenAccepts_ProposalAbandonedNothingTakenBack()
    {
        await using var peer = await RawPeer.OpenAsync(new InMemoryChannelStore(), Options());
        var v1 = peer.Bob.Latest!.State; // 90 / 110
        var v2 = RawPeer.Pay(v1, 50);   // 40 / 160
        await peer.SendAsync(new ProposeUpdate(v2, 1));
        await peer.ReceiveAsync<AcceptUpdate>();
        await peer.SendAsync(new RejectUpdate(peer.Id, 2, ErrorCode.ProposalAbandoned, "abandoned"));

        var pay = peer.Bob.PayAsync(5);
        var bobs = await peer.ReceiveAsync<ProposeUpdate>();
        Assert.Equal(3UL, bobs.State.Version);
        Assert.Equal(1UL, bobs.BaseVersion); // built on v1, below the v2 Bob signed

        // Mallory completes the unsettled v2 (Bob counts +50), then accepts Bob's v3 on the old base.
        await peer.SendAsync(new ConfirmUpdate(peer.Id, 2, peer.Sign(v2)));
        await peer.SendAsync(new AcceptUpdate(peer.Id, 3, peer.Sign(bobs.State)));

        // The defence: Bob never completes v3 (its base is no longer his latest); he abandons it and
        // proposes the payment again on top of v2, above the version Mallory signed.
        var abandoned = await peer.ReceiveAsync(m => m is RejectUpdate { Code: ErrorCode.ProposalAbandoned, Version: 3 });
        var again = await peer.ReceiveAsync<ProposeUpdate>();
        Assert.Equal(4UL, again.State.Version);
        Assert.Equal(2UL, again.BaseVersion);
        Assert.False(pay.IsCompleted);
        await AssertCountedEqualsLatestAsync(peer, payFailed: true);
    }

    /// <summary>
    /// The same through a reconnect: HandleReestablishAsync keeps a proposal of ours whose version is
    /// above the peer's latest, adopts the peer's latest (Bob's unsettled v2: +50 reported), then
    /// completes the kept proposal from the peer's pending signature although it was built on v1.
    /// </summary>
    [Fact]
    public async Task UnsettledAbandoned_BobProposesOnOldBase_ReestablishWithBoth_ProposalAbandonedNothingTakenBack()
    {
        await using var peer = await RawPeer.OpenAsync(new InMemoryChannelStore(), Options());
        var v1 = peer.Bob.Latest!.State; // 90 / 110
        var v2 = RawPeer.Pay(v1, 50);   // 40 / 160
        await peer.SendAsync(new ProposeUpdate(v2, 1));
        var a2 = await peer.ReceiveAsync<AcceptUpdate>();
        await peer.SendAsync(new RejectUpdate(peer.Id, 2, ErrorCode.ProposalAbandoned, "abandoned"));

        var pay = peer.Bob.PayAsync(5);
        var bobs = await peer.ReceiveAsync<ProposeUpdate>();
        Assert.Equal(1UL, bobs.BaseVersion);

        // Mallory dials again and reestablishes with v2 fully signed and her signature on Bob's v3.
        var pair = InMemoryTransport.CreatePair(peer.Alice.Address, peer.BobParty.Address);
        peer.BobParty.Serve(pair.Second);
        var wire = pair.First;
        await ReceiveAsync<Reestablish>(wire);
        var fullV2 = new SignedState(v2, peer.Sign(v2), a2.Signature);
        await wire.SendAsync(MessageCodec.Encode(new Reestablish(peer.Id, fullV2, bobs.State, peer.Sign(bobs.State))));

        // The defence: after adopting v2, Bob's v3 (on v1) is not his to complete: abandoned.
        await ReceiveAsync(wire, m => m is RejectUpdate { Code: ErrorCode.ProposalAbandoned, Version: 3 });
        await RawPeer.WaitUntilAsync(() => peer.Bob.Latest!.State.Version == 2);
        Assert.False(pay.IsCompletedSuccessfully);
        await AssertCountedEqualsLatestAsync(peer, payFailed: true);
    }

    /// <summary>
    /// Goal 4. Before a disconnect, a state Bob signed and that the peer never confirms is bounded by
    /// the answer timer (AwaitConfirm: the connection drops after UpdateTimeout). After a reconnect,
    /// OnConnectedAsync sets _awaitingConfirm from the stored pending state but starts no timer.
    /// Mallory reestablishes without settling it (no Confirm, no ProposalAbandoned, no newer state)
    /// and then just keeps the connection open: StartNextAsync returns early for ever, so Bob's
    /// payment is neither proposed nor failed, and no timer ever drops the connection.
    /// </summary>
    [Fact]
    public async Task PendingAfterReconnect_PeerNeverSettlesIt_PaymentNeitherProposedNorFailedNorConnectionDropped()
    {
        var options = Options();
        options.UpdateTimeout = TimeSpan.FromMilliseconds(300);
        await using var peer = await RawPeer.OpenAsync(new InMemoryChannelStore(), options);
        var v1 = peer.Bob.Latest!;
        var v2 = RawPeer.Pay(v1.State, 50);
        await peer.SendAsync(new ProposeUpdate(v2, 1));
        await peer.ReceiveAsync<AcceptUpdate>();

        // Mallory dials again before Bob's Confirm timer fires; her reestablish settles nothing.
        var pair = InMemoryTransport.CreatePair(peer.Alice.Address, peer.BobParty.Address);
        peer.BobParty.Serve(pair.Second);
        var wire = pair.First;
        var bobsView = await ReceiveAsync<Reestablish>(wire);
        Assert.Equal(2UL, bobsView.Pending?.Version); // Bob waits for v2 to be settled
        await wire.SendAsync(MessageCodec.Encode(new Reestablish(peer.Id, v1, null, null)));

        var pay = peer.Bob.PayAsync(5);

        // Whatever Bob does next (propose, fail the payment, hang up on the silent peer) ends this wait.
        using var cts = new CancellationTokenSource(Limit);
        var next = wire.ReceiveAsync(cts.Token).AsTask();
        var first = await Task.WhenAny(pay, next, Task.Delay(Timeout.Infinite, cts.Token).ContinueWith(_ => { }, TaskScheduler.Default));
        var what = "nothing";
        if (first == pay)
        {
            what = "payment ended";
        }
        else if (first == next && next.IsCompletedSuccessfully)
        {
            what = await next is null ? "Bob hung up" : "Bob sent a message";
        }

        Assert.True(
            what != "nothing",
            $"{Limit.TotalSeconds} s ({Limit / options.UpdateTimeout} update timeouts) after PayAsync Bob has neither proposed, failed the payment nor dropped the silent peer");
    }

    /// <summary>
    /// Goal 2. The funding loop catches only <see cref="ErrorCode.TransactionFailed"/> from its deposit;
    /// IAdjudicator documents <see cref="ErrorCode.ChainRpcFailure"/> and <see cref="ErrorCode.Timeout"/>
    /// ("no receipt in time") too. Here Bob's deposit lands but its receipt times out: the exception
    /// ends FundAsync, so nothing ever moves the channel to Aborted at the funding timeout, nothing
    /// registers version 0, and the watcher does nothing for a Funding channel with no registration.
    /// Mallory never deposits; Bob's 100 stay in the contract for as long as the process runs.
    /// </summary>
    [Fact]
    public async Task Funding_DepositLandsButReceiptTimesOut_FundingLoopDies_NeverAbortedDepositLocked()
    {
        var blockTime = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        var chain = new SimulatedChain(new Eip712Domain(31337, EthAddress.Parse("0x5FbDB2315678afecb367f032d93F642f64180aa3")), blockTime);
        using var mallory = PrivateKey.Create();
        var bobKey = PrivateKey.Create();
        var options = Options();
        options.FundingTimeout = TimeSpan.FromSeconds(1);
        var adjudicator = new ReceiptTimeoutAdjudicator(chain.For(bobKey.Address));
        await using var bob = await Party.CreateAsync("bob", chain, options: options, clientTime: TimeProvider.System, keyOf: bobKey, adjudicator: adjudicator);
        var pair = InMemoryTransport.CreatePair(mallory.Address, bob.Address);
        bob.Serve(pair.Second);
        var wire = pair.First;
        OnChainChannel View(ChannelParams p) => chain.For(mallory.Address).GetChannelAsync(p).AsTask().Result;

        var p = new ChannelParams(mallory.Address, bob.Address, EthAddress.Zero, 3600UL, Hash32.CreateRandom(), 100, 100);
        var id = Eip712.ComputeChannelId(chain.Domain, p);
        await wire.SendAsync(MessageCodec.Encode(new OpenRequest(p, chain.Domain)));
        var v0 = ChannelState.Opening(id, p);
        await wire.SendAsync(MessageCodec.Encode(new ProposeUpdate(v0, 0)));
        await ReceiveAsync<AcceptUpdate>(wire);
        await wire.SendAsync(MessageCodec.Encode(new ConfirmUpdate(id, 0, mallory.Sign(Eip712.HashState(chain.Domain, v0)))));
        await RawPeer.WaitUntilAsync(() => adjudicator.Deposits == 1 && View(p).Held1 == 100);

        using var stop = new CancellationTokenSource();
        var watcher = bob.Client.RunWatcherAsync(stop.Token);
        try
        {
            // The funding timeout (1 s) passes many times over within this bounded wait.
            await RawPeer.WaitUntilAsync(() => bob.Client.GetChannel(id).Phase != ChannelPhase.Funding || View(p).RegisteredVersion is not null);
        }
        catch (Xunit.Sdk.TrueException)
        {
            Assert.Fail(
                $"{Limit.TotalSeconds} s after a {options.FundingTimeout.TotalSeconds} s funding timeout Bob's channel is still {bob.Client.GetChannel(id).Phase}, " +
                $"nothing registered, {adjudicator.Deposits} deposit, {adjudicator.Reads} chain reads since: his 100 stay locked");
        }
        finally
        {
            await stop.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => watcher);
        }
    }

    /// <summary>
    /// Goal 4 (liveness of the unsettled-state rule, honest peers). Alice proposes v2 (pays Bob 50),
    /// Bob signs, Alice restarts before Bob's Accept reaches her (her proposal lives only in memory).
    /// On reconnect her engine does what it must: Bob's pending v2 is not hers any more, so she
    /// answers ProposalAbandoned (HandleReestablishAsync). Played raw here, message for message. From
    /// then on Bob refuses every payment from Alice below 50 and her cooperative close (a final state
    /// with v1's balances): the only way out for the payer is a dispute (her funds locked for the
    /// challenge period), unless Bob happens to pay her first or pays at least 50 at once: her
    /// engine has no way to settle v2 (completing it would pay 50 her caller was told failed).
    /// </summary>
    [Fact]
    public async Task HonestPayerRestartsMidPayment_AbandonsIt_ThenEverySmallerPaymentAndTheCloseRefusedForever()
    {
        await using var peer = await RawPeer.OpenAsync(new InMemoryChannelStore(), Options());
        var v1 = peer.Bob.Latest!.State; // 90 / 110
        var v2 = RawPeer.Pay(v1, 50);
        await peer.SendAsync(new ProposeUpdate(v2, 1));
        await peer.ReceiveAsync<AcceptUpdate>(); // lost: Alice restarts

        // Alice's restarted engine: Bob's reestablish shows v2 pending; not her inflight: ProposalAbandoned.
        var pair = InMemoryTransport.CreatePair(peer.Alice.Address, peer.BobParty.Address);
        peer.BobParty.Serve(pair.Second);
        var wire = pair.First;
        var bobs = await ReceiveAsync<Reestablish>(wire);
        Assert.Equal(2UL, bobs.Pending?.Version);
        await wire.SendAsync(MessageCodec.Encode(new Reestablish(peer.Id, peer.Bob.Latest!, null, null)));
        await wire.SendAsync(MessageCodec.Encode(new RejectUpdate(peer.Id, 2, ErrorCode.ProposalAbandoned, "proposal abandoned")));

        // Alice's next payment (10) at NextVersion 3, on her latest v1.
        var v3 = v1 with { Version = 3, Balance0 = v1.Balance0 - 10, Balance1 = v1.Balance1 + 10 };
        await wire.SendAsync(MessageCodec.Encode(new ProposeUpdate(v3, 1)));
        var answer = await ReceiveAsync(wire, m => m is AcceptUpdate or RejectUpdate);
        var close = v1 with { Version = 3, IsFinal = true };
        ProtocolMessage closeAnswer = answer;
        if (answer is RejectUpdate)
        {
            await wire.SendAsync(MessageCodec.Encode(new ProposeUpdate(close, 1)));
            closeAnswer = await ReceiveAsync(wire, m => m is AcceptUpdate or RejectUpdate);
        }

        Assert.True(
            answer is AcceptUpdate || closeAnswer is AcceptUpdate,
            $"an honest payer that lost a proposal can neither pay less ({answer}) nor close cooperatively ({closeAnswer}): only a dispute is left");
    }

    private static async Task AssertCountedEqualsLatestAsync(RawPeer peer, bool payFailed)
    {
        ulong Sum<T>(Func<T, Amount> amount)
            where T : ChannelEvent =>
            (ulong)peer.Events.Snapshot().OfType<T>().Where(e => e.ChannelId == peer.Id).Select(amount).Sum(a => (decimal)(ulong)a.Value);
        await RawPeer.WaitUntilAsync(() => payFailed || peer.Events.Snapshot().OfType<PaymentSent>().Any());
        var received = Sum<PaymentReceived>(e => e.Version > 1 ? e.Amount : Amount.Zero);
        var sent = Sum<PaymentSent>(e => e.Amount);
        var counted = 110UL + received - sent; // v1 pays Bob 110
        var latest = peer.Bob.Latest!.State;
        Assert.True(
            (ulong)latest.Balance1.Value == counted,
            $"Bob counts {counted} (received {received} after v1, sent {sent}); his latest fully signed state v{latest.Version} pays him {latest.Balance1}");
    }

    /// <summary>A node whose deposit transactions are mined but whose receipt never comes in time (documented: <see cref="ErrorCode.Timeout"/>).</summary>
    private sealed class ReceiptTimeoutAdjudicator(IAdjudicator inner) : IAdjudicator
    {
        private int _deposits;
        private int _reads;

        public int Deposits => Volatile.Read(ref _deposits);

        public int Reads => Volatile.Read(ref _reads);

        public Eip712Domain Domain => inner.Domain;

        public async ValueTask DepositAsync(ChannelParams channel, int index, Amount expectedHeld, Amount amount, CancellationToken cancellationToken = default)
        {
            await inner.DepositAsync(channel, index, expectedHeld, amount, cancellationToken);
            Interlocked.Increment(ref _deposits);
            throw new StateChannelException(ErrorCode.Timeout, "Adjudicator.deposit: no receipt in time");
        }

        public ValueTask<OnChainChannel> GetChannelAsync(ChannelParams channel, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _reads);
            return inner.GetChannelAsync(channel, cancellationToken);
        }

        public ValueTask CloseAsync(ChannelParams channel, SignedState finalState, CancellationToken cancellationToken = default) =>
            inner.CloseAsync(channel, finalState, cancellationToken);

        public ValueTask RegisterAsync(ChannelParams channel, SignedState state, CancellationToken cancellationToken = default) =>
            inner.RegisterAsync(channel, state, cancellationToken);

        public ValueTask ConcludeAsync(ChannelParams channel, CancellationToken cancellationToken = default) =>
            inner.ConcludeAsync(channel, cancellationToken);

        public ValueTask WithdrawAsync(EthAddress asset, CancellationToken cancellationToken = default) =>
            inner.WithdrawAsync(asset, cancellationToken);
    }
}
