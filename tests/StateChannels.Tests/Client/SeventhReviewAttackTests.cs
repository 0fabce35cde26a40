using Microsoft.Extensions.Time.Testing;
using StateChannels.Protocol;
using StateChannels.Testing;
using StateChannels.Tests.Support;

namespace StateChannels.Tests.Client;

/// <summary>
/// Seventh outside review (attacks on the sixth review's fix and the code it touches). Mallory
/// (participant 0) is played raw by <see cref="RawPeer"/> against Bob's real engine; each test
/// asserts what an honest Bob must get, so a red test is a finding.
/// </summary>
public sealed class SeventhReviewAttackTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Waits up to <see cref="Limit"/> for Bob to do anything that ends a stall: <paramref name="pay"/>
    /// ends (completed or failed), Bob hangs up, or Bob sends a message. Returns what happened, or "nothing".
    /// </summary>
    private static Task<string> WhatBobDoesAsync(RawPeer peer, Task pay) => WhatBobDoesAsync(peer.Wire, pay);

    private static async Task<string> WhatBobDoesAsync(InMemoryConnection wire, Task pay)
    {
        using var cts = new CancellationTokenSource(Limit);
        var next = wire.ReceiveAsync(cts.Token).AsTask();
        var timeout = Task.Delay(Timeout.Infinite, cts.Token).ContinueWith(_ => { }, TaskScheduler.Default);
        var first = await Task.WhenAny(pay, next, timeout);
        if (first == pay)
        {
            return "payment ended";
        }

        if (first == next && next.IsCompletedSuccessfully)
        {
            return await next is null ? "Bob hung up" : "Bob sent a message";
        }

        return "nothing";
    }

    /// <summary>
    /// Stall (medium). The sixth review's fix refuses the peer's proposals while Bob waits for the
    /// newer state a FallenBehind claimed (_behindPeer), so the timer bounding that wait stays. But the
    /// "repeat of a proposal we already signed" path in HandleProposeAsync runs before that check and
    /// calls AwaitConfirm, which replaces the one answer timer. Mallory proposes v2 (Bob signs) and
    /// abandons it; Bob pays (Propose v3 on v1); Mallory answers Reject(FallenBehind) with nothing newer
    /// (payment fails, _behindPeer set, timer armed); she re-sends Propose v2 (Bob re-sends his Accept
    /// and AwaitConfirm(2) replaces the _behindPeer timer) and ProposalAbandoned(2) (the wait ends;
    /// the timer's condition is now false). _behindPeer is never cleared, nothing times it: every later
    /// payment queues forever and the silent peer is never dropped.
    /// </summary>
    [Fact]
    public async Task FakeFallenBehind_ThenRepeatOfASignedProposalAndAbandon_BehindWaitLosesItsTimer_PaymentsQueueForever()
    {
        var options = StallProbe.Options(TimeSpan.FromSeconds(2));
        await using var peer = await RawPeer.OpenAsync(new InMemoryChannelStore(), options);
        var v1 = peer.Bob.Latest!.State;

        var v2 = RawPeer.Pay(v1, 1);
        await peer.SendAsync(new ProposeUpdate(v2, 1));
        Assert.Equal(2UL, (await peer.ReceiveAsync<AcceptUpdate>()).Version);
        await peer.SendAsync(new RejectUpdate(peer.Id, 2, ErrorCode.ProposalAbandoned, "abandoned"));

        var first = peer.Bob.PayAsync(5);
        var bobs3 = await peer.ReceiveAsync<ProposeUpdate>();
        Assert.Equal(3UL, bobs3.State.Version);
        await peer.SendAsync(new RejectUpdate(peer.Id, 3, ErrorCode.FallenBehind, "behind"));
        var failed = await Assert.ThrowsAsync<StateChannelException>(() => first.WaitAsync(Limit));
        Assert.Equal(ErrorCode.PeerRejected, failed.Code);

        // The repeat: Bob re-sends the same signature (sign-once allows it) ...
        await peer.SendAsync(new ProposeUpdate(v2, 1));
        Assert.Equal(2UL, (await peer.ReceiveAsync<AcceptUpdate>()).Version);
        // ... and the wait it started ends.
        await peer.SendAsync(new RejectUpdate(peer.Id, 2, ErrorCode.ProposalAbandoned, "abandoned"));

        var pay = peer.Bob.PayAsync(3);
        var what = await WhatBobDoesAsync(peer, pay);
        Assert.True(
            what != "nothing",
            $"{Limit.TotalSeconds} s ({Limit / options.UpdateTimeout} update timeouts) after the fake FallenBehind, a repeated Propose v2 and ProposalAbandoned(2), Bob's payment is queued forever behind _behindPeer, neither proposed nor failed, and the silent peer is never dropped");
    }

    /// <summary>
    /// Stall (medium). The fifth review re-arms Bob's in-flight proposal's timer when a
    /// ProposalAbandoned ends the Confirm wait a repeated proposal had started; a Confirm ending that
    /// wait does not. Mallory proposes v2 (Bob signs) and abandons it; Bob pays 5 (Propose v3 on v1,
    /// timed); Mallory re-sends Propose v2 (Bob re-sends his Accept; AwaitConfirm(2) replaces v3's
    /// timer) and then Confirms v2 (Bob adopts it; the wait's timer condition is now false). Bob's v3
    /// is still in flight (StartNextAsync returns at _inflight) with no live timer; Mallory stays
    /// connected and silent: the payment never completes nor fails and she is never dropped.
    /// </summary>
    [Fact]
    public async Task RepeatedProposeWhileOwnInflight_ThenConfirmOfIt_InflightLosesItsTimer_PaymentHangsForever()
    {
        var options = StallProbe.Options(TimeSpan.FromSeconds(2));
        await using var peer = await RawPeer.OpenAsync(new InMemoryChannelStore(), options);
        var v1 = peer.Bob.Latest!.State;

        var v2 = RawPeer.Pay(v1, 1);
        await peer.SendAsync(new ProposeUpdate(v2, 1));
        Assert.Equal(2UL, (await peer.ReceiveAsync<AcceptUpdate>()).Version);
        await peer.SendAsync(new RejectUpdate(peer.Id, 2, ErrorCode.ProposalAbandoned, "abandoned"));

        var pay = peer.Bob.PayAsync(5);
        var bobs3 = await peer.ReceiveAsync<ProposeUpdate>();
        Assert.Equal(3UL, bobs3.State.Version);

        await peer.SendAsync(new ProposeUpdate(v2, 1));
        Assert.Equal(2UL, (await peer.ReceiveAsync<AcceptUpdate>()).Version);
        await peer.SendAsync(new ConfirmUpdate(peer.Id, 2, peer.Sign(v2)));
        await RawPeer.WaitUntilAsync(() => peer.Bob.Latest?.State.Version == 2);

        var what = await WhatBobDoesAsync(peer, pay);
        Assert.True(
            what != "nothing",
            $"{Limit.TotalSeconds} s ({Limit / options.UpdateTimeout} update timeouts) after Mallory confirmed the repeated v2, Bob's own payment v3 is still in flight with no live timer: neither completed nor failed, and the silent peer is never dropped");
    }

    /// <summary>
    /// Stall (medium). After every (re)connect Bob sends his Reestablish and proposes nothing until the
    /// peer's arrives (_synced), but nothing times that wait: OnConnectedAsync arms a timer only for a
    /// pending state Bob signed. Mallory connects (Bob drops the old connection for it), reads Bob's
    /// Reestablish and never sends hers, keeping the connection open (over TCP she answers the
    /// keep-alive pings). Bob's payment is queued forever (StartNextAsync returns at !_synced), never
    /// proposed nor failed, and the connection is never dropped, so Bob's side never redials either.
    /// </summary>
    [Fact]
    public async Task PeerConnectsButNeverSendsReestablish_PaymentQueuedForever_ConnectionNeverDropped()
    {
        var options = StallProbe.Options(TimeSpan.FromSeconds(2));
        await using var peer = await RawPeer.OpenAsync(new InMemoryChannelStore(), options);

        var pair = InMemoryTransport.CreatePair(peer.Alice.Address, peer.BobParty.Address);
        peer.BobParty.Serve(pair.Second);
        var bobs = await RawWire.ReceiveAsync<Reestablish>(pair.First);
        Assert.Equal(peer.Id, bobs.ChannelId);

        var pay = peer.Bob.PayAsync(5);
        var what = await WhatBobDoesAsync(pair.First, pay);
        Assert.True(
            what != "nothing",
            $"{Limit.TotalSeconds} s ({Limit / options.UpdateTimeout} update timeouts) after Mallory connected without answering Bob's Reestablish, Bob's payment is neither proposed nor failed and the silent connection is never dropped");
    }

    /// <summary>
    /// Stall (low/medium). A Reestablish is meant once per connection, but Bob handles any number of
    /// them on a live link: each one abandons his in-flight proposal (AbandonInflight at the end of
    /// HandleReestablishAsync) and proposes it again with a fresh update timer. Mallory never answers
    /// Bob's proposal and re-sends her (valid, unchanged) Reestablish every second, below Bob's
    /// UpdateTimeout: the timer that should drop a peer that never answers never fires, and Bob's
    /// payment neither completes nor fails, for as long as she likes.
    /// </summary>
    [Fact]
    public async Task RepeatedReestablishOnALiveLink_ResetsTheUpdateTimerForever_PaymentNeverCompletesNorFails()
    {
        var options = StallProbe.Options(TimeSpan.FromSeconds(4));
        await using var peer = await RawPeer.OpenAsync(new InMemoryChannelStore(), options);
        var latest = peer.Bob.Latest!;

        var pay = peer.Bob.PayAsync(5);
        Assert.Equal(2UL, (await peer.ReceiveAsync<ProposeUpdate>()).State.Version);

        var dropped = await StallProbe.RepeatUntilHungUpAsync(peer.Wire, pay, TimeSpan.FromSeconds(24), () => peer.SendAsync(new Reestablish(peer.Id, latest, null, null))); // six update timeouts

        Assert.True(
            dropped || pay.IsCompleted,
            $"for 24 s (six update timeouts) Mallory never answered Bob's proposal and only re-sent her Reestablish each second: Bob re-proposed each time, his payment neither completed nor failed, and she was never dropped");
    }

    /// <summary>
    /// Stall, the same class as the repeated reestablish (found while fixing it): a repeat of a proposal
    /// Bob signed re-sends his signature and waits for the Confirm again. If each repeat restarted that
    /// wait, Mallory would hold Bob's payments behind it forever by re-sending the proposal each second.
    /// The wait keeps its first start: she is dropped one update timeout after Bob signed.
    /// </summary>
    [Fact]
    public async Task RepeatedProposeOfASignedState_NeverConfirmed_TheConfirmWaitStillEnds()
    {
        var options = StallProbe.Options(TimeSpan.FromSeconds(4));
        await using var peer = await RawPeer.OpenAsync(new InMemoryChannelStore(), options);
        var v2 = RawPeer.Pay(peer.Bob.Latest!.State, 1);
        await peer.SendAsync(new ProposeUpdate(v2, 1));
        Assert.Equal(2UL, (await peer.ReceiveAsync<AcceptUpdate>()).Version);
        var pay = peer.Bob.PayAsync(5); // queued behind the Confirm wait

        var dropped = await StallProbe.RepeatUntilHungUpAsync(peer.Wire, pay, TimeSpan.FromSeconds(24), () => peer.SendAsync(new ProposeUpdate(v2, 1))); // six update timeouts

        Assert.True(dropped || pay.IsCompleted, "for 24 s (six update timeouts) Mallory re-sent the proposal Bob signed each second and never confirmed it: she was never dropped");
    }

    /// <summary>
    /// Stall (medium). Same single answer timer, the other way round: the generic rejection path of
    /// HandleRejectAsync stops the timer (StopUpdateTimer) when it drops Bob's proposal, although a
    /// repeated proposal had made it the wait for the peer's Confirm (AbandonInflight re-arms that
    /// wait; this path does not). Mallory proposes v2 (Bob signs) and abandons it; Bob pays 5 (Propose
    /// v3); Mallory re-sends Propose v2 (Bob re-sends his Accept: _awaitingConfirm, timer = Confirm
    /// wait) and rejects v3 (InvalidTransition): the payment fails, the timer is gone, and Bob still
    /// waits for v2's Confirm. Every later payment queues behind _awaitingConfirm forever; the silent
    /// peer is never dropped.
    /// </summary>
    [Fact]
    public async Task RepeatedProposeWhileOwnInflight_ThenRejectOfIt_ConfirmWaitLosesItsTimer_PaymentsQueueForever()
    {
        var options = StallProbe.Options(TimeSpan.FromSeconds(2));
        await using var peer = await RawPeer.OpenAsync(new InMemoryChannelStore(), options);
        var v1 = peer.Bob.Latest!.State;

        var v2 = RawPeer.Pay(v1, 1);
        await peer.SendAsync(new ProposeUpdate(v2, 1));
        Assert.Equal(2UL, (await peer.ReceiveAsync<AcceptUpdate>()).Version);
        await peer.SendAsync(new RejectUpdate(peer.Id, 2, ErrorCode.ProposalAbandoned, "abandoned"));

        var first = peer.Bob.PayAsync(5);
        Assert.Equal(3UL, (await peer.ReceiveAsync<ProposeUpdate>()).State.Version);

        await peer.SendAsync(new ProposeUpdate(v2, 1));
        Assert.Equal(2UL, (await peer.ReceiveAsync<AcceptUpdate>()).Version);
        await peer.SendAsync(new RejectUpdate(peer.Id, 3, ErrorCode.InvalidTransition, "no"));
        var failed = await Assert.ThrowsAsync<StateChannelException>(() => first.WaitAsync(Limit));
        Assert.Equal(ErrorCode.PeerRejected, failed.Code);

        var pay = peer.Bob.PayAsync(3);
        var what = await WhatBobDoesAsync(peer, pay);
        Assert.True(
            what != "nothing",
            $"{Limit.TotalSeconds} s ({Limit / options.UpdateTimeout} update timeouts) after Mallory rejected Bob's v3 while he waited for her Confirm of the repeated v2, the wait has no timer: Bob's next payment is queued forever and the silent peer is never dropped");
    }

    /// <summary>
    /// Funds (high): Bob counts, as received, a payment the chain can never pay him. HandleConfirmAsync
    /// (and a reestablish's adoption) adopt a state Bob signed whatever the channel's phase, Disputed
    /// after its deadline and Closed included, and publish PaymentReceived. Mallory proposes v2 (pays
    /// Bob 50 more), Bob signs it (Accept), she withholds her Confirm and registers v1 on chain. Bob's
    /// watcher cannot refute (v1 is his latest), the deadline passes, the channel is concluded at v1
    /// (Bob gets 110). Now Mallory sends Confirm(2): Bob adopts v2 on the concluded channel, reports
    /// PaymentReceived(50) and a balance of 160, which no transaction can ever pay him (an app that
    /// delivers on PaymentReceived is robbed of 50). Had she confirmed before the deadline, the watcher
    /// would have refuted with v2: she chooses the moment. Violates invariant 4 (Bob can get on chain
    /// at least his balance in the latest state he considers committed).
    /// </summary>
    [Fact]
    public async Task ConfirmAfterTheChannelWasConcluded_BobCountsAPaymentTheChainNeverPays()
    {
        var blockTime = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var chain = new SimulatedChain(new Eip712Domain(31337, EthAddress.Parse("0x5FbDB2315678afecb367f032d93F642f64180aa3")), blockTime);
        using var mallory = PrivateKey.Create();
        await using var bob = await Party.CreateAsync("bob", chain, new InMemoryChannelStore(), StallProbe.Options(TimeSpan.FromMinutes(5)), clientTime: TimeProvider.System);
        await using var events = new EventLog(bob.Client);
        var pair = InMemoryTransport.CreatePair(mallory.Address, bob.Address);
        bob.Serve(pair.Second);
        var wire = pair.First;
        Signature Sign(ChannelState st) => mallory.Sign(Eip712.HashState(chain.Domain, st));

        // Open and fund 100/100 by the book; Mallory pays Bob 10 at v1 (90/110).
        var p = new ChannelParams(mallory.Address, bob.Address, EthAddress.Zero, 3600UL, Hash32.CreateRandom(), 100, 100);
        var id = Eip712.ComputeChannelId(chain.Domain, p);
        await RawWire.SendAsync(wire, new OpenRequest(p, chain.Domain));
        var v0 = ChannelState.Opening(id, p);
        await RawWire.SendAsync(wire, new ProposeUpdate(v0, 0));
        await RawWire.ReceiveAsync<AcceptUpdate>(wire);
        await RawWire.SendAsync(wire, new ConfirmUpdate(id, 0, Sign(v0)));
        await chain.For(mallory.Address).DepositAsync(p, 0, 0, 100);
        var channel = bob.Client.GetChannel(id);
        await RawPeer.WaitUntilAsync(() => channel.Phase == ChannelPhase.Active);
        var v1 = RawPeer.Pay(v0, 10);
        await RawWire.SendAsync(wire, new ProposeUpdate(v1, 0));
        await RawWire.ReceiveAsync<AcceptUpdate>(wire);
        await RawWire.SendAsync(wire, new ConfirmUpdate(id, 1, Sign(v1)));
        await RawPeer.WaitUntilAsync(() => channel.Latest?.State.Version == 1);
        var fullV1 = channel.Latest!;

        // v2 pays Bob 50 more; Bob signs it, Mallory withholds her Confirm.
        var v2 = RawPeer.Pay(v1, 50);
        await RawWire.SendAsync(wire, new ProposeUpdate(v2, 1));
        Assert.Equal(2UL, (await RawWire.ReceiveAsync<AcceptUpdate>(wire)).Version);

        // She registers v1; Bob's watcher sees it, has nothing higher, and concludes after the deadline.
        using var stop = new CancellationTokenSource();
        var watcher = bob.Client.RunWatcherAsync(stop.Token);
        await chain.For(mallory.Address).RegisterAsync(p, fullV1);
        await RawPeer.WaitUntilAsync(() => channel.Phase == ChannelPhase.Disputed);
        blockTime.Advance(TimeSpan.FromSeconds(3601));
        await RawPeer.WaitUntilAsync(() => channel.Phase == ChannelPhase.Closed);
        var paid = chain.BalanceOf(bob.Address, EthAddress.Zero);
        Assert.Equal(new Amount(110), paid);

        // Now the Confirm.
        await RawWire.SendAsync(wire, new ConfirmUpdate(id, 2, Sign(v2)));
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (DateTime.UtcNow < until && channel.Latest!.State.Version < 2)
        {
            await Task.Delay(20);
        }

        var counted = channel.Latest!.State.Balance1;
        var received = events.Snapshot().OfType<PaymentReceived>().Where(e => e.ChannelId == id).Select(e => $"v{e.Version}:{e.Amount}").ToList();
        await stop.CancelAsync();
        try
        {
            await watcher;
        }
        catch (OperationCanceledException)
        {
        }

        Assert.True(
            counted <= paid,
            $"the channel was concluded at v1 and paid Bob {paid}; after Mallory's late Confirm Bob counts {counted} (latest v{channel.Latest!.State.Version}, phase {channel.Phase}, PaymentReceived [{string.Join(", ", received)}])");
    }
}
