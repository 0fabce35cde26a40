using StateChannels.Protocol;
using StateChannels.Testing;
using StateChannels.Tests.Support;

namespace StateChannels.Tests.Client;

/// <summary>
/// Twelfth outside review (attacks on the eleventh review's fix, ChannelMachine.GivenUp.cs: up to 8
/// proposals given up at their deadline are remembered; a late Accept of a given-up close that is
/// still built on our latest and allowed by sign-once is completed). Each test asserts what the
/// honest party must get, so a red test is a finding.
/// </summary>
public sealed class TwelfthReviewAttackTests : IAsyncLifetime
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
    /// A payment stalled forever (MEDIUM, availability: PayAsync never returns, no deadline ever
    /// fails it; no funds lost). Bob (real engine) calls CloseAsync; Alice (raw, malicious) signs
    /// his final state F (v2) but withholds her Accept until the close deadline gives F up
    /// (RememberGivenUp, ChannelMachine.Waits.cs:168). She then presents F, signed, in her
    /// reestablish: Bob has nothing in flight, so HandleReestablishAsync
    /// (ChannelMachine.Sync.cs:192-204) records PeerSignedVersion = 2 and answers ProposalAbandoned,
    /// but F stays in _givenUp (only AcceptOfGivenUpAsync removes entries). Bob's next payment Q is
    /// proposed at v3 (NextVersion), still on base v1. Alice now sends the Accept of F (v2):
    /// HandleAcceptAsync (ChannelMachine.Proposer.cs:160-164) hands it to AcceptOfGivenUpAsync
    /// (ChannelMachine.GivenUp.cs:36-57), which abandons our proposal only at or below v2
    /// (GivenUp.cs:45, Q at v3 stays), finds CanStillComplete true (latest v1 is F's base, Bob never
    /// signed at v2) and completes F: CompleteProposalAsync sets _inflight = null
    /// (ChannelMachine.Proposer.cs:256) over Q, which is neither failed nor requeued. Q is then in
    /// neither _inflight nor _queue, so no payment deadline covers it (FirstWaitEnd,
    /// ChannelMachine.Waits.cs:81-82) and OnFinalAdopted's FailQueued does not see it: Bob's PayAsync
    /// hangs for good (and Bob completed a close he had just told the peer he abandoned).
    /// </summary>
    [Fact]
    public async Task GivenUpCloseReestablishedThenAccepted_PaymentInFlightAboveItDroppedAndHangsForever()
    {
        // PaymentTimeout 4 s: Q's deadline must not pass before the Accept below (that would only hide the finding).
        var options = StallProbe.Options(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(4));
        await using var peer = await RawPeer.OpenAsync(new InMemoryChannelStore(), options);

        var close = peer.Bob.CloseAsync();
        var final = await peer.ReceiveAsync<ProposeUpdate>();
        Assert.True(final.State.IsFinal);
        Assert.Equal(2UL, final.State.Version);
        var finalSig = peer.Sign(final.State); // Alice signs F, and holds her Accept back

        Assert.Equal(ErrorCode.Timeout, Assert.IsType<StateChannelException>(await StallProbe.FailureOfAsync(close)).Code);

        // (On the reviewed code Alice's reestablish with F pending was answered ProposalAbandoned and a
        // payment then went out at v3; the fix completes F from that reestablish instead, so the
        // payment in flight is reached here without it.) Bob pays; Q goes out at v2, on base v1.
        var pay = peer.Bob.PayAsync(5);
        var q = await peer.ReceiveAsync<ProposeUpdate>();
        Assert.False(q.State.IsFinal);

        // Now the late Accept of F: it completes the close, and Q's payment must end, not vanish.
        await peer.SendAsync(new AcceptUpdate(peer.Id, 2, finalSig));
        var ended = await Task.WhenAny(pay, Task.Delay(TimeSpan.FromSeconds(12))) == pay;
        Assert.True(
            ended,
            $"Bob's PayAsync(5), proposed as v{q.State.Version}, never ended: the late Accept of the given-up close (v2) completed it "
            + $"(Bob's latest: v{peer.Bob.Latest?.State.Version}, final {peer.Bob.Latest?.State.IsFinal}, phase {peer.Bob.Phase}) "
            + "and dropped the payment in flight without failing or requeuing it");
        Assert.Equal(ErrorCode.WrongPhase, Assert.IsType<StateChannelException>(await StallProbe.FailureOfAsync(pay)).Code);
        Assert.True(peer.Bob.Latest!.State.IsFinal);
    }

    /// <summary>
    /// Payments dead for good between two honest clients after a close times out, when the peer's
    /// signature on the final state comes in its reestablish instead of a late Accept (MEDIUM,
    /// availability; the eleventh review's finding survives a reconnect or a restart). Alice calls
    /// CloseAsync; Bob signs her final state v2 (durably) but the link goes down before his Accept
    /// leaves (or Bob crashes at ResponderIntentDurable). Alice's close deadline passes while the
    /// link is down: the close is given up (CloseAsync fails Timeout). On reconnect Bob's reestablish
    /// presents the final v2 with his signature; Alice has nothing in flight, so HandleReestablishAsync
    /// (ChannelMachine.Sync.cs:192-204) records PeerSignedVersion = 2 and sends ProposalAbandoned,
    /// never consulting the given-up close (ChannelMachine.GivenUp.cs handles only an Accept), although
    /// it is still built on her latest and she signed nothing else at v2: exactly the case the fix
    /// completes. Bob holds a signed final state and refuses anything but that close
    /// (TransitionRules.cs:58-65); Alice's channel looks Active and every payment either way fails.
    /// </summary>
    [Fact]
    public async Task CloseGivenUpAtDeadline_FinalSignatureArrivesInReestablish_AbandonedAndPaymentsDeadBothWays()
    {
        var options = StallProbe.Options(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(2));
        var alice = await PartyAsync("alice", options);
        var bob = await PartyAsync("bob", options);
        var link = Party.Connect(alice, bob);
        var a = await alice.Client.OpenChannelAsync(bob.Address, 1_000, 1_000).WaitAsync(Limit);
        await a.PayAsync(10).WaitAsync(Limit);
        var b = bob.Client.GetChannel(a.Id);
        await RawPeer.WaitUntilAsync(() => b.Latest?.State.Version == 1);

        // Bob's Accept of Alice's final state never leaves: the link goes down instead.
        link.Faults.DisconnectBeforeNext(f => f.From == bob.Address && f.Payload.Span[1] == (byte)MessageType.Accept);
        var close = await StallProbe.FailureOfAsync(a.CloseAsync());
        Assert.Equal(ErrorCode.Timeout, Assert.IsType<StateChannelException>(close).Code);
        Assert.True((await bob.Store.GetChannelAsync(a.Id))!.LastSigned!.State.IsFinal, "Bob signed the final state");

        // The link comes back: Bob's reestablish carries his signature on Alice's final state v2.
        Party.Reconnect(link, alice, bob);
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (!(a.Latest?.State.IsFinal == true && b.Latest?.State.IsFinal == true) && DateTime.UtcNow < until)
        {
            await Task.Delay(10);
        }

        var converged = a.Latest?.State.IsFinal == true && b.Latest?.State.IsFinal == true;
        string detail = string.Empty;
        if (!converged)
        {
            var alicePays = await StallProbe.FailureOfAsync(a.PayAsync(5));
            var bobPays = await StallProbe.FailureOfAsync(b.PayAsync(3));
            detail = $" Alice (phase {a.Phase}, latest v{a.Latest?.State.Version}) pays: {alicePays?.Message ?? "ok"};"
                + $" Bob (phase {b.Phase}, latest v{b.Latest?.State.Version}, signed final v2) pays: {bobPays?.Message ?? "ok"}";
        }

        Assert.True(
            converged,
            "Bob's signature on Alice's given-up close came in his reestablish; Alice abandoned it instead of completing it." + detail);
    }

    private async Task<Party> PartyAsync(string name, StateChannelClientOptions options)
    {
        var party = await Party.CreateAsync(name, _chain, options: options);
        _owned.Add(party);
        return party;
    }

}
