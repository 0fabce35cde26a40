using StateChannels.Protocol;
using StateChannels.Testing;
using StateChannels.Tests.Support;

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
    public async Task UnsettledAbandoned_BobProposesOnOldBase_PeerConfirmsUnsettledThenAcceptsProposal_PaymentTakenBack()
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
        var failed = false;
        try
        {
            await pay.WaitAsync(Limit);
        }
        catch (StateChannelException)
        {
            failed = true; // refused: fine, as long as what Bob counts is what his latest state pays
        }

        await AssertCountedEqualsLatestAsync(peer, failed);
    }

    /// <summary>
    /// The same through a reconnect: HandleReestablishAsync keeps a proposal of ours whose version is
    /// above the peer's latest, adopts the peer's latest (Bob's unsettled v2: +50 reported), then
    /// completes the kept proposal from the peer's pending signature although it was built on v1.
    /// </summary>
    [Fact]
    public async Task UnsettledAbandoned_BobProposesOnOldBase_ReestablishCompletesUnsettledAndProposal_PaymentTakenBack()
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

        var failed = false;
        try
        {
            await pay.WaitAsync(Limit);
        }
        catch (StateChannelException)
        {
            failed = true;
        }

        await AssertCountedEqualsLatestAsync(peer, failed);
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

    private static async Task<T> ReceiveAsync<T>(InMemoryConnection wire)
        where T : ProtocolMessage
    {
        using var cts = new CancellationTokenSource(Limit);
        while (true)
        {
            var frame = await wire.ReceiveAsync(cts.Token) ?? throw new InvalidOperationException("connection closed");
            if (MessageCodec.Decode(frame.Span) is T t)
            {
                return t;
            }
        }
    }
}
