using StateChannels.Protocol;
using StateChannels.Testing;
using StateChannels.Tests.Support;

namespace StateChannels.Tests.Client;

/// <summary>
/// Ninth outside review (attacks on the eighth review's fixes: PaymentTimeout and the payment
/// deadlines in ChannelMachine.Waits.cs, waits counted only while the channel takes updates). The
/// peer (participant 0) is played raw by <see cref="RawPeer"/> against Bob's real engine; each test
/// asserts what an honest Bob must get, so a red test is a finding.
/// </summary>
public sealed class NinthReviewAttackTests
{
    /// <summary>
    /// Honest peer dropped as a cheat (low/medium). The payment deadline abandons our unanswered
    /// proposal (FailExpiredPaymentsAsync, ChannelMachine.Waits.cs: AbandonInflight) and at once
    /// proposes what is left in the queue (StartNextAsync) at the SAME version: NextVersion
    /// (ChannelMachine.cs) is unchanged, since nothing records that the proposal may already be
    /// signed by the peer. An honest but slow peer (network latency, a slow disk) signed the first
    /// proposal A at v2 and its Accept is on the wire when the deadline fires. The Accept reaches Bob
    /// while his second proposal B is in flight at v2: HandleAcceptAsync (ChannelMachine.Proposer.cs)
    /// matches it by version only, checks Alice's valid signature on A against B's digest, and calls
    /// Misbehaved: PeerMisbehaved is published ("invalid signature") and the honest peer's link is
    /// aborted. Bob knows perfectly well what was signed (the signature verifies on the abandoned A).
    /// Every payment deadline that meets a late answer does this again; operators watching
    /// PeerMisbehaved see an honest peer reported as forging signatures.
    /// </summary>
    [Fact]
    public async Task PaymentDeadline_HonestAcceptArrivesLate_BobReproposedSameVersion_HonestPeerReportedAsMisbehaving()
    {
        var options = StallProbe.Options(TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(2));
        await using var peer = await RawPeer.OpenAsync(new InMemoryChannelStore(), options);

        var pay1 = peer.Bob.PayAsync(5);
        var proposalA = await peer.ReceiveAsync<ProposeUpdate>();
        Assert.Equal(2UL, proposalA.State.Version);

        // A second payment, a second later: queued behind A (its deadline one second after A's).
        await Task.Delay(TimeSpan.FromSeconds(1));
        var pay2 = peer.Bob.PayAsync(3);

        // Alice (honest, slow) signs A; her Accept is delayed on the wire past A's deadline.
        var acceptA = new AcceptUpdate(peer.Id, 2, peer.Sign(proposalA.State));

        var failure = await StallProbe.FailureOfAsync(pay1);
        Assert.Equal(ErrorCode.Timeout, Assert.IsType<StateChannelException>(failure).Code);

        // Bob re-proposes the remaining payment (on the reviewed code at v2, a different state; fixed:
        // above v2, which Alice may have signed); then Alice's Accept of A arrives.
        var proposalB = await peer.ReceiveAsync<ProposeUpdate>();
        Assert.NotEqual(proposalA.State, proposalB.State);
        await peer.SendAsync(acceptA);

        var hungUp = await StallProbe.HungUpWithinAsync(peer.Wire, TimeSpan.FromSeconds(3));
        var misbehaved = peer.Events.Snapshot().OfType<PeerMisbehaved>().Where(e => e.ChannelId == peer.Id).ToList();
        Assert.True(
            misbehaved.Count == 0 && !hungUp,
            $"Alice's honest Accept of Bob's own abandoned proposal A (v2), delayed past the payment deadline, got her reported and dropped (hung up: {hungUp}): "
            + string.Join("; ", misbehaved.Select(e => e.Reason)));
        _ = pay2;
    }

    /// <summary>
    /// Honest payments fail after a deadline (low). Same start: Bob's proposal A (v2) passes its
    /// payment deadline and is abandoned; the honest peer's Accept of A arrives just after. With
    /// nothing in flight, HandleAcceptAsync (ChannelMachine.Proposer.cs) returns at once ("stale or
    /// duplicate") without checking it: Bob neither records that the peer signed v2
    /// (PeerSignedVersion, as AbandonSignedProposalAsync and the reestablish do) nor tells it
    /// ProposalAbandoned. The peer now waits for a Confirm of v2, and sign-once forbids it to sign any
    /// other state at v2; but Bob's next payment is proposed at v2 again (NextVersion unchanged), so
    /// the honest peer must refuse it (InvalidTransition: its next version is 3) and the payment fails
    /// PeerRejected; so does every payment until the peer's Confirm wait drops the link and the
    /// reconnect's reestablish tells Bob. Here the raw peer answers exactly as the honest client's
    /// EnsureAcceptableAsync does: a v2 proposal is refused, a v3 one signed and confirmed.
    /// </summary>
    [Fact]
    public async Task PaymentDeadline_HonestAcceptArrivesLate_NextPaymentReproposedAtTheSignedVersion_HonestPeerMustRefuseIt()
    {
        var options = StallProbe.Options(TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(2));
        await using var peer = await RawPeer.OpenAsync(new InMemoryChannelStore(), options);
        var latest = peer.Bob.Latest!.State;

        var pay1 = peer.Bob.PayAsync(5);
        var proposalA = await peer.ReceiveAsync<ProposeUpdate>();
        Assert.Equal(2UL, proposalA.State.Version);
        var acceptA = new AcceptUpdate(peer.Id, 2, peer.Sign(proposalA.State)); // signed, delayed on the wire

        var failure = await StallProbe.FailureOfAsync(pay1);
        Assert.Equal(ErrorCode.Timeout, Assert.IsType<StateChannelException>(failure).Code);
        await peer.SendAsync(acceptA); // arrives just after the deadline
        await Task.Delay(TimeSpan.FromMilliseconds(300));

        var pay2 = peer.Bob.PayAsync(4);
        var next = await peer.ReceiveAsync(m => m is ProposeUpdate || m is RejectUpdate);
        if (next is RejectUpdate { Code: ErrorCode.ProposalAbandoned })
        {
            next = await peer.ReceiveAsync<ProposeUpdate>();
        }

        var proposal = Assert.IsType<ProposeUpdate>(next);
        if (proposal.State.Version <= 2)
        {
            // Alice signed A at v2: sign-once forbids another state there; her next version is 3.
            await peer.SendAsync(new RejectUpdate(peer.Id, proposal.State.Version, ErrorCode.InvalidTransition, "expected version 3"));
        }
        else
        {
            await peer.SendAsync(new AcceptUpdate(peer.Id, proposal.State.Version, peer.Sign(proposal.State)));
        }

        var error = await StallProbe.FailureOfAsync(pay2);
        Assert.True(
            error is null,
            $"Bob's next payment after the ignored late Accept of v2 was proposed at v{proposal.State.Version} (latest v{latest.Version}), a version the honest peer already signed another state at: it failed with {error?.Message}");
    }

    /// <summary>
    /// Stall (medium). README: "Nothing waits forever on the peer". PaymentTimeout bounds payments
    /// only: a close proposal carries none (Proposal.FirstDeadline = MaxValue, so FirstWaitEnd in
    /// ChannelMachine.Waits.cs never considers it), and SignFinalAsync (ChannelMachine.Proposer.cs)
    /// has no deadline of its own. The eighth review's redial attack therefore still works against
    /// CloseAsync: the peer never answers Bob's final-state proposal and opens a new connection
    /// every second (below UpdateTimeout), sending its reestablish each time; each one abandons and
    /// re-proposes the close with a fresh Proposal.Since, and the clamp to _linkSince moves the
    /// wait's end one connection further. CloseAsync neither completes nor fails for as long as the
    /// peer likes (here 6 × PaymentTimeout); no timer of Bob's fires.
    /// </summary>
    [Fact]
    public async Task PeerRedialsEverySecond_NeverAnswers_CloseNeverCompletesNorFails()
    {
        var options = StallProbe.Options(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4));
        await using var peer = await RawPeer.OpenAsync(new InMemoryChannelStore(), options);
        var latest = peer.Bob.Latest!;

        var close = peer.Bob.CloseAsync();
        var proposal = await peer.ReceiveAsync<ProposeUpdate>();
        Assert.True(proposal.State.IsFinal);

        var redials = 0;
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(24); // six payment timeouts
        while (DateTime.UtcNow < until && !close.IsCompleted)
        {
            await Task.WhenAny(close, Task.Delay(TimeSpan.FromSeconds(1)));
            if (close.IsCompleted)
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
            close.IsCompleted,
            $"for 24 s (six PaymentTimeouts) the peer never answered Bob's close and only redialled each second ({redials} connections): CloseAsync neither completed nor failed");
    }

    /// <summary>
    /// Stall (low/medium), the plain case: Bob closes cooperatively and the peer stays silent and
    /// never comes back. After UpdateTimeout Bob drops the link (Wait.Answer); with no connection
    /// FirstWaitEnd (ChannelMachine.Waits.cs) counts only payment deadlines, and the close proposal
    /// has none: _pendingClose waits forever, and so does CloseAsync (without a caller's token).
    /// A payment in the same situation fails with Timeout after PaymentTimeout.
    /// </summary>
    [Fact]
    public async Task SilentPeer_NeverReconnects_CloseNeverCompletesNorFails()
    {
        var options = StallProbe.Options(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3));
        await using var peer = await RawPeer.OpenAsync(new InMemoryChannelStore(), options);

        var close = peer.Bob.CloseAsync();
        var proposal = await peer.ReceiveAsync<ProposeUpdate>();
        Assert.True(proposal.State.IsFinal);

        Assert.True(await StallProbe.HungUpWithinAsync(peer.Wire, TimeSpan.FromSeconds(10)), "Bob should drop a silent peer after UpdateTimeout");
        await Task.WhenAny(close, Task.Delay(TimeSpan.FromSeconds(12))); // four payment timeouts
        Assert.True(close.IsCompleted, "12 s (four PaymentTimeouts) after a silent peer went away, Bob's CloseAsync neither completed nor failed");
    }
}
