using StateChannels.Protocol;
using StateChannels.Testing;
using StateChannels.Tests.Support;

namespace StateChannels.Tests.Client;

/// <summary>
/// Eighth outside review (attacks on the seventh review's fixes: the waits with their own starts and
/// one timer, the TakesUpdates filter, one reestablish per connection). The peer (participant 0) is
/// played raw by <see cref="RawPeer"/> against Bob's real engine; each test asserts what an honest Bob
/// must get, so a red test is a finding.
/// </summary>
public sealed class EighthReviewAttackTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Availability (medium): once a channel is Disputed (or Closed, or Aborted) the wait for the
    /// Confirm of a state Bob signed can never end, and its timer drops every connection to the peer,
    /// honest included, on every reconnect, for good. The peer proposes v2 and then force-closes with
    /// v1 (exactly what an honest client's ForceCloseAsync does with a proposal in flight: it abandons
    /// it and ignores the Accept, sending no ProposalAbandoned): Bob holds his signature on v2 and waits
    /// for its Confirm. The registration moves Bob to Disputed. Now the HandleAsync filter
    /// (ChannelMachine.Sync.cs: !TakesUpdates returns before the switch) drops every message of the
    /// channel, the Confirm, the ProposalAbandoned and the reestablish that settle the wait included,
    /// but the wait itself is never cleared (MoveAsync/FailPendingWork leave _confirmWaitSince), and
    /// OnConnectedAsync starts it again on every connection (pending = LastSigned above Latest, whatever
    /// the phase; Closed channels too). FirstWaitEnd (ChannelMachine.Waits.cs) ignores the phase: one
    /// update timeout after each connect Bob aborts the link. The peer reconnects and does everything an
    /// honest peer does (her reestablish, ProposalAbandoned for v2): Bob still hangs up. Every other
    /// channel between the two is cut every UpdateTimeout, through the challenge period and after the
    /// conclusion, forever (the record stays Closed with v2 signed above v1).
    /// </summary>
    [Fact]
    public async Task DisputedWithASignedUnconfirmedState_EveryReconnectOfAnHonestPeerIsDroppedAfterTheUpdateTimeout()
    {
        var options = StallProbe.Options(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(8)); // the payment bound (the fix) inside the test's window
        await using var peer = await RawPeer.OpenAsync(new InMemoryChannelStore(), options);
        var fullV1 = peer.Bob.Latest!;

        using var stop = new CancellationTokenSource();
        var watcher = peer.BobParty.Client.RunWatcherAsync(stop.Token);
        try
        {
            // The peer's v2 (pays Bob 1): Bob signs it and waits for the Confirm.
            var v2 = RawPeer.Pay(fullV1.State, 1);
            await peer.SendAsync(new ProposeUpdate(v2, 1));
            Assert.Equal(2UL, (await peer.ReceiveAsync<AcceptUpdate>()).Version);

            // The peer force-closes with its latest fully signed state, v1 (its right at any time).
            await peer.Chain.For(peer.Alice.Address).RegisterAsync(peer.Params, fullV1);
            await RawPeer.WaitUntilAsync(() => peer.Bob.Phase == ChannelPhase.Disputed);

            // The first connection is replaced by the next (Bob may or may not have dropped it already).

            // The peer reconnects and behaves as an honest peer does after a reconnect.
            var pair = InMemoryTransport.CreatePair(peer.Alice.Address, peer.BobParty.Address);
            peer.BobParty.Serve(pair.Second);
            var bobs = await RawWire.ReceiveAsync<Reestablish>(pair.First);
            Assert.Equal(peer.Id, bobs.ChannelId);
            await RawWire.SendAsync(pair.First, new Reestablish(peer.Id, fullV1, null, null));
            if (bobs.Pending is { Version: 2 })
            {
                // An honest proposer that no longer has v2 in flight says so.
                await RawWire.SendAsync(pair.First, new RejectUpdate(peer.Id, 2, ErrorCode.ProposalAbandoned, "proposal abandoned"));
            }

            var started = DateTime.UtcNow;
            var hungUp = await StallProbe.HungUpWithinAsync(pair.First, TimeSpan.FromSeconds(12)); // six update timeouts
            Assert.False(
                hungUp,
                $"Bob hung up {(DateTime.UtcNow - started).TotalSeconds:F1} s after a reconnect in which the peer sent its reestablish and ProposalAbandoned(2): "
                + $"the Confirm wait of the {peer.Bob.Phase} channel (signed v{bobs.Pending?.Version}, latest v{bobs.Latest?.State.Version}) can never settle and drops every connection to the peer");
        }
        finally
        {
            await stop.CancelAsync();
            try
            {
                await watcher;
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    /// <summary>
    /// Stall (medium). Every wait is clamped to start no earlier than the current connection
    /// (FirstWaitEnd: start = max(since, _linkSince), ChannelMachine.Waits.cs), and _linkSince is
    /// whatever OnConnectedAsync last set, i.e. whenever the peer last dialled. The seventh review's
    /// "one reestablish per connection" stops a reestablish re-sent on one link from restarting the
    /// wait; a new connection per reestablish does the same. Bob pays 5 (Propose v2). The peer never
    /// answers: every second (below Bob's 2 s UpdateTimeout) it opens a new connection (Bob replaces
    /// the old one), reads Bob's Reestablish and sends its own, as after any reconnect. Each time Bob
    /// abandons and re-proposes v2 with a fresh start, and the wait's end moves a connection further.
    /// The payment neither completes nor fails for as long as the peer likes (PayAsync has no deadline
    /// of its own), and no timer of Bob's ever fires.
    /// </summary>
    [Fact]
    public async Task PeerRedialsEverySecond_NeverAnswers_PaymentNeverCompletesNorFails()
    {
        var options = StallProbe.Options(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(8)); // the payment bound (the fix) inside the test's window
        await using var peer = await RawPeer.OpenAsync(new InMemoryChannelStore(), options);
        var latest = peer.Bob.Latest!;

        var pay = peer.Bob.PayAsync(5);
        Assert.Equal(2UL, (await peer.ReceiveAsync<ProposeUpdate>()).State.Version);

        var redials = 0;
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(24); // twelve update timeouts
        while (DateTime.UtcNow < until && !pay.IsCompleted)
        {
            await Task.WhenAny(pay, Task.Delay(TimeSpan.FromSeconds(1)));
            if (pay.IsCompleted)
            {
                break;
            }

            var pair = InMemoryTransport.CreatePair(peer.Alice.Address, peer.BobParty.Address);
            peer.BobParty.Serve(pair.Second);
            await RawWire.ReceiveAsync<Reestablish>(pair.First);
            await RawWire.SendAsync(pair.First, new Reestablish(peer.Id, latest, null, null));
            redials++;
        }

        Assert.True(
            pay.IsCompleted,
            $"for 24 s (twelve update timeouts) the peer never answered Bob's proposal and only redialled each second ({redials} connections, each with its reestablish): Bob's payment neither completed nor failed, and no wait of his ever ended");
    }

    /// <summary>
    /// Stall (low/medium), the same clamp seen from the other side: the timers do fire, but the end of
    /// a wait never ends the payment in flight. Bob pays 5 (Propose v2); the peer stays silent. After
    /// one update timeout Bob drops the link (Wait.Answer: OnLinkLost + Abort); the proposal stays
    /// _inflight (only a reestablish abandons it). The peer dials again at once and says nothing: on the
    /// new connection the in-flight proposal is the first wait (its Since is older than _linkSince, so
    /// Wait.Reestablish, the one wait that fails payments, is never the one that fires), and Bob drops
    /// the link again one update timeout later; and so on. Bob's timers fire every 2 s, yet the payment
    /// neither completes nor fails: PayAsync awaits it for as long as the peer keeps dialling in.
    /// </summary>
    [Fact]
    public async Task PeerRedialsAfterEachDrop_SilentEachTime_InflightPaymentNeverFails()
    {
        var options = StallProbe.Options(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(8)); // the payment bound (the fix) inside the test's window
        await using var peer = await RawPeer.OpenAsync(new InMemoryChannelStore(), options);

        var pay = peer.Bob.PayAsync(5);
        Assert.Equal(2UL, (await peer.ReceiveAsync<ProposeUpdate>()).State.Version);

        var wire = peer.Wire;
        var drops = 0;
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(24); // twelve update timeouts
        while (DateTime.UtcNow < until && !pay.IsCompleted)
        {
            if (!await StallProbe.HungUpWithinAsync(wire, until - DateTime.UtcNow + TimeSpan.FromMilliseconds(1)))
            {
                break;
            }

            drops++;
            var pair = InMemoryTransport.CreatePair(peer.Alice.Address, peer.BobParty.Address);
            peer.BobParty.Serve(pair.Second);
            wire = pair.First;
        }

        Assert.True(
            pay.IsCompleted,
            $"for 24 s (twelve update timeouts) the peer stayed silent and dialled in again after each drop: Bob dropped it {drops} times, yet his payment (Propose v2) neither completed nor failed");
    }
}
