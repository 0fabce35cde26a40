using StateChannels.Protocol;
using StateChannels.Testing;
using StateChannels.Tests.Support;

namespace StateChannels.Tests.Client;

/// <summary>
/// Eleventh outside review (attacks on the tenth review's fix: at a payment or close deadline our
/// unanswered proposal is given up and remembered in ChannelMachine._givenUp (version, digest); a
/// late Accept of it is recognised by AcceptOfGivenUpAsync, ChannelMachine.Waits.cs:484-505, which
/// records PeerSignedVersion, abandons our proposal at that version, sends ProposalAbandoned and
/// proposes above). Each test asserts what honest parties must get, so a red test is a finding.
/// The first two play the slow honest peer (participant 0) raw against Bob's real engine, exactly
/// as the honest client answers (as the ninth review's tests did); the third runs two real clients.
/// </summary>
public sealed class EleventhReviewAttackTests : IAsyncLifetime
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);
    private readonly SimulatedChain _chain = new(new Eip712Domain(31337, EthAddress.Parse("0x5FbDB2315678afecb367f032d93F642f64180aa3")));
    private readonly List<IAsyncDisposable> _owned = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var o in _owned)
        {
            await o.DisposeAsync();
        }
    }

    /// <summary>
    /// Bob (real engine) pays twice, with deadlines one second apart, while the honest but slow
    /// Alice (raw) has signed his first proposal A (v2) and her Accept is still on the wire. At A's
    /// deadline Bob gives A up (_givenUp = A) and proposes what is left, B, at v2 again; at B's
    /// deadline he gives B up too, and _givenUp = B overwrites A (ChannelMachine.Waits.cs:456).
    /// Returns A, Alice's Accept of it, and B.
    /// </summary>
    private static async Task<(ProposeUpdate A, AcceptUpdate AcceptA, ProposeUpdate B)> TwoProposalsGivenUpAsync(RawPeer peer)
    {
        var pay1 = peer.Bob.PayAsync(5);
        var proposalA = await peer.ReceiveAsync<ProposeUpdate>();
        Assert.Equal(2UL, proposalA.State.Version);
        var acceptA = new AcceptUpdate(peer.Id, 2, peer.Sign(proposalA.State)); // signed by Alice, slow on the wire

        await Task.Delay(TimeSpan.FromSeconds(1));
        var pay2 = peer.Bob.PayAsync(3); // queued behind A; its deadline one second after A's

        Assert.Equal(ErrorCode.Timeout, Assert.IsType<StateChannelException>(await StallProbe.FailureOfAsync(pay1)).Code);
        var proposalB = await peer.ReceiveAsync<ProposeUpdate>(); // what is left, at v2 again
        Assert.Equal(2UL, proposalB.State.Version);
        Assert.NotEqual(proposalA.State, proposalB.State);

        // B's deadline passes as well, before Alice's Accept of A has reached Bob.
        Assert.Equal(ErrorCode.Timeout, Assert.IsType<StateChannelException>(await StallProbe.FailureOfAsync(pay2)).Code);
        return (proposalA, acceptA, proposalB);
    }

    /// <summary>
    /// Honest peer reported as a forger and dropped, again (LOW/MEDIUM; the ninth review's finding
    /// survives when two deadlines pass before the late Accept arrives). _givenUp holds one proposal
    /// only: the second give-up (B) overwrites the first (A, ChannelMachine.Waits.cs:456), although
    /// both were unanswered and A is the one the slow peer signed. Bob's next payment goes out as C,
    /// at v2 again. Alice's honest Accept of A then arrives while C is in flight at v2:
    /// HandleAcceptAsync (ChannelMachine.Proposer.cs:182) checks it against C and fails,
    /// AcceptOfGivenUpAsync (ChannelMachine.Waits.cs:486) checks it against B only and fails, and
    /// Bob calls Misbehaved (ChannelMachine.Proposer.cs:187): PeerMisbehaved "accept of version 2
    /// carries an invalid signature" is published about an honest peer and its link is aborted (C,
    /// and every channel on that connection, wait for a reconnect). A batch of payments queued during
    /// an outage, proposed near their deadlines after the reconnect, meets this whenever the peer's
    /// answer takes longer than the gap between two deadlines.
    /// </summary>
    [Fact]
    public async Task TwoDeadlinesBeforeLateAccept_FirstGivenUpForgotten_HonestPeerReportedAsForgerAndDropped()
    {
        var options = StallProbe.Options(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(2));
        await using var peer = await RawPeer.OpenAsync(new InMemoryChannelStore(), options);
        var (_, acceptA, proposalB) = await TwoProposalsGivenUpAsync(peer);

        // Bob pays again: C goes out at v2 (nothing recorded that Alice signed there).
        var pay3 = peer.Bob.PayAsync(4);
        var proposalC = await peer.ReceiveAsync<ProposeUpdate>();
        Assert.Equal(2UL, proposalC.State.Version);

        // Alice's Accept of A finally arrives; behind it, in order, what honest Alice answers to B
        // and C (she signed A at v2, so her next version is 3: EnsureAcceptableAsync refuses both).
        await peer.SendAsync(acceptA);
        await peer.SendAsync(new RejectUpdate(peer.Id, proposalB.State.Version, ErrorCode.InvalidTransition, "version 2 proposed; expected 3"));
        await peer.SendAsync(new RejectUpdate(peer.Id, proposalC.State.Version, ErrorCode.InvalidTransition, "version 2 proposed; expected 3"));

        var hungUp = await StallProbe.HungUpWithinAsync(peer.Wire, TimeSpan.FromSeconds(3));
        var misbehaved = peer.Events.Snapshot().OfType<PeerMisbehaved>().Where(e => e.ChannelId == peer.Id).ToList();
        Assert.True(
            misbehaved.Count == 0 && !hungUp,
            $"Alice's honest Accept of Bob's proposal A (v2), given up at its deadline and then forgotten when B was given up too, got her reported and dropped (hung up: {hungUp}): "
            + string.Join("; ", misbehaved.Select(e => e.Reason)));
        _ = pay3;
    }

    /// <summary>
    /// Honest payments refused after two deadlines (LOW; same root cause). As above, but the late
    /// Accept of A arrives while nothing is in flight: HandleAcceptAsync passes it to
    /// AcceptOfGivenUpAsync (ChannelMachine.Proposer.cs:164), which compares it with B only
    /// (ChannelMachine.Waits.cs:486) and drops it silently. Bob records nothing (PeerSignedVersion
    /// stays 1, no ProposalAbandoned), so his next payment goes out at v2 (NextVersion,
    /// ChannelMachine.cs:306-315) while honest Alice, who signed A there, expects 3
    /// (EnsureAcceptableAsync, ChannelMachine.Responder.cs:129) and must refuse it: the payment fails
    /// PeerRejected, and so does every payment until Alice's Confirm wait drops the link
    /// (UpdateTimeout) and the reconnect's reestablish tells Bob.
    /// </summary>
    [Fact]
    public async Task TwoDeadlinesBeforeLateAccept_LateAcceptIgnored_NextPaymentProposedAtTheVersionTheHonestPeerSigned()
    {
        var options = StallProbe.Options(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(2));
        await using var peer = await RawPeer.OpenAsync(new InMemoryChannelStore(), options);
        var (_, acceptA, proposalB) = await TwoProposalsGivenUpAsync(peer);

        // Nothing in flight: Alice's Accept of A arrives, then her refusal of B (in order).
        await peer.SendAsync(acceptA);
        await peer.SendAsync(new RejectUpdate(peer.Id, proposalB.State.Version, ErrorCode.InvalidTransition, "version 2 proposed; expected 3"));
        await Task.Delay(TimeSpan.FromMilliseconds(300));

        var pay3 = peer.Bob.PayAsync(4);
        var next = await peer.ReceiveAsync(m => m is ProposeUpdate || m is RejectUpdate);
        if (next is RejectUpdate { Code: ErrorCode.ProposalAbandoned })
        {
            next = await peer.ReceiveAsync<ProposeUpdate>();
        }

        var proposal = Assert.IsType<ProposeUpdate>(next);
        if (proposal.State.Version <= 2)
        {
            // Honest Alice signed A at v2: sign-once forbids another state there; her next version is 3.
            await peer.SendAsync(new RejectUpdate(peer.Id, proposal.State.Version, ErrorCode.InvalidTransition, "version 2 proposed; expected 3"));
        }
        else
        {
            await peer.SendAsync(new AcceptUpdate(peer.Id, proposal.State.Version, peer.Sign(proposal.State)));
        }

        var error = await StallProbe.FailureOfAsync(pay3);
        Assert.True(
            error is null,
            $"after two deadlines, Bob ignored the honest late Accept of A (v2) and proposed his next payment at v{proposal.State.Version}, "
            + $"a version the honest peer already signed: it failed with {error?.Message}");
    }

    /// <summary>
    /// Payments dead for good between two honest clients after a close times out (MEDIUM,
    /// availability; no funds lost, only a second cooperative close or ForceCloseAsync gets out).
    /// Alice calls CloseAsync; Bob (slow) signs her final state v2 but his Accept arrives after
    /// Alice's close deadline. FailExpiredPaymentsAsync (ChannelMachine.Waits.cs:453-472) gives the
    /// close up (CloseAsync fails Timeout, "ForceCloseAsync closes without it"), and when the Accept
    /// arrives AcceptOfGivenUpAsync (ChannelMachine.Waits.cs:484-505) treats it like a payment's:
    /// PeerSignedVersion = 2 and ProposalAbandoned, although Alice holds everything needed to complete
    /// the close she asked for (she signed nothing else at v2). Bob, however, has durably signed a
    /// final state Alice can complete at any moment; he must refuse anything but the same close above
    /// it (TransitionRules.EnsureValidTransition, TransitionRules.cs:58-65, via
    /// ChannelMachine.Responder.cs:129) and fails his own payments locally (StartNextAsync,
    /// ChannelMachine.Proposer.cs:111-121; PayAsync, :26). Alice's channel looks Active, her PayAsync
    /// is accepted and every payment is refused by honest Bob (PeerRejected), across reconnects
    /// (Bob's reestablish re-presents the final v2, Alice answers ProposalAbandoned again; both
    /// records are durable, a restart was not tested): the two honest sides never make a payment again.
    /// </summary>
    [Fact]
    public async Task CloseGivenUpAtDeadline_LateAcceptOfFinalState_PaymentsRefusedForeverBothWays()
    {
        var options = StallProbe.Options(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(2));
        var alice = await PartyAsync("alice", options);
        var bob = await PartyAsync("bob", options);
        var link = Party.Connect(alice, bob);
        var a = await alice.Client.OpenChannelAsync(bob.Address, 1_000, 1_000).WaitAsync(Limit);
        await a.PayAsync(10).WaitAsync(Limit);
        var b = bob.Client.GetChannel(a.Id);
        await RawPeer.WaitUntilAsync(() => b.Latest?.State.Version == 1);

        // Bob's Accept of Alice's final state is slow on the wire (held; nothing else is sent meanwhile).
        link.Faults.DelayNext(f => f.From == bob.Address && f.Payload.Span[1] == (byte)MessageType.Accept);
        var close = await StallProbe.FailureOfAsync(a.CloseAsync());
        Assert.Equal(ErrorCode.Timeout, Assert.IsType<StateChannelException>(close).Code);
        Assert.True((await bob.Store.GetChannelAsync(a.Id))!.LastSigned!.State.IsFinal, "Bob signed the final state");

        // The Accept arrives. On the reviewed code Alice recorded it (PeerSignedVersion = 2) and told Bob
        // ProposalAbandoned; both stayed Active and refused each other's payments forever. Fixed: a
        // peer that signed a final state takes nothing but that close, so Alice completes the close she
        // asked for (still built on her latest, nothing signed since): both hold the final state.
        link.ReleaseDelayed();
        await RawPeer.WaitUntilAsync(() => a.Latest?.State.IsFinal == true && b.Latest?.State.IsFinal == true);
        Assert.Equal(a.Latest!.State, b.Latest!.State);
        Assert.Contains(a.Phase, new[] { ChannelPhase.Closing, ChannelPhase.Closed });
        Assert.Contains(b.Phase, new[] { ChannelPhase.Closing, ChannelPhase.Closed });

        // Nothing hangs or is refused as if the channel were open: payments fail at once, typed.
        var alicePays = await StallProbe.FailureOfAsync(a.PayAsync(5));
        var bobPays = await StallProbe.FailureOfAsync(b.PayAsync(3));
        Assert.Equal(ErrorCode.WrongPhase, Assert.IsType<StateChannelException>(alicePays).Code);
        Assert.Equal(ErrorCode.WrongPhase, Assert.IsType<StateChannelException>(bobPays).Code);
    }

    private async Task<Party> PartyAsync(string name, StateChannelClientOptions options)
    {
        var party = await Party.CreateAsync(name, _chain, options: options);
        _owned.Add(party);
        return party;
    }

}
