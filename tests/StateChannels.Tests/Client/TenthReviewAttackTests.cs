using StateChannels.Protocol;
using StateChannels.Testing;
using StateChannels.Tests.Support;

namespace StateChannels.Tests.Client;

/// <summary>
/// Tenth outside review (attacks on the ninth review's fixes: a proposal given up at its payment
/// deadline records its version as "possibly signed by the peer" in ChannelRecord.PeerSignedVersion;
/// CloseAsync has the PaymentTimeout deadline too). Two honest clients on the simulated chain, with
/// the in-memory link's faults standing in for the network; each test asserts what honest parties
/// must get, so a red test is a finding.
/// </summary>
public sealed class TenthReviewAttackTests : IAsyncLifetime
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

    private static Func<InMemoryFrame, bool> Is(MessageType type) => f => f.Payload.Span[1] == (byte)type;

    private async Task<Party> PartyAsync(string name, StateChannelClientOptions options)
    {
        var party = await Party.CreateAsync(name, _chain, options: options);
        _owned.Add(party);
        return party;
    }

    /// <summary>Alice opens a channel with Bob (1 000 each) and pays him 10 at version 1.</summary>
    private async Task<(Party Alice, Party Bob, InMemoryTransport Link, Channel A, Channel B)> OpenAsync(StateChannelClientOptions options)
    {
        var alice = await PartyAsync("alice", options);
        var bob = await PartyAsync("bob", options);
        var link = Party.Connect(alice, bob);
        var a = await alice.Client.OpenChannelAsync(bob.Address, 1_000, 1_000).WaitAsync(Limit);
        await a.PayAsync(10).WaitAsync(Limit);
        var b = bob.Client.GetChannel(a.Id);
        await RawPeer.WaitUntilAsync(() => b.Latest?.State.Version == 1);
        return (alice, bob, link, a, b);
    }

    /// <summary>
    /// Off-chain deadlock between two honest clients (HIGH: every later payment and the cooperative
    /// close fail, in both directions, durably, across reconnects and restarts; only a unilateral
    /// close on chain gets the money out, after the challenge period).
    /// Scenario: Alice pays Bob; her proposal (v2) is lost on the network (or Bob is unreachable),
    /// so Bob never sees it and signs nothing. At the payment deadline FailExpiredPaymentsAsync
    /// (ChannelMachine.Waits.cs:165-171) abandons it and persists PeerSignedVersion = 2 "possibly
    /// signed by the peer". Alice's NextVersion (ChannelMachine.cs:58-67) is now 3, but Bob's is still
    /// 2: nothing ever tells Bob that v2 was skipped (Alice's reestablish carries no pending for a
    /// state only she proposed). The responder insists on exactly its own NextVersion
    /// (EnsureAcceptableAsync, ChannelMachine.Responder.cs:129 → TransitionRules.EnsureValidTransition
    /// "version 3 proposed; expected 2"), so Bob refuses every proposal of Alice's (v3) and Alice
    /// refuses every proposal of Bob's (v2, "expected 3"). Payments fail PeerRejected both ways, a
    /// CloseAsync from either side too; a reconnect changes nothing (no signed evidence at v2 exists).
    /// </summary>
    [Fact]
    public async Task PaymentDeadline_ProposalLostInTransit_BothHonestSidesRefuseEachOtherForever()
    {
        var options = StallProbe.Options(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(2));
        var (alice, bob, link, a, b) = await OpenAsync(options);

        // Alice's next proposal (v2) is lost: Bob never sees it.
        link.Faults.DropNext(Is(MessageType.Propose));
        var lost = a.PayAsync(5);
        Assert.Equal(ErrorCode.Timeout, Assert.IsType<StateChannelException>(await StallProbe.FailureOfAsync(lost)).Code);

        // The network is fine again. Alice pays again; Bob pays Alice.
        var aliceAgain = await StallProbe.FailureOfAsync(a.PayAsync(4));
        var bobPays = await StallProbe.FailureOfAsync(b.PayAsync(3));

        // A reconnect (both reestablish) does not help either.
        Party.Reconnect(link, alice, bob);
        await Task.Delay(TimeSpan.FromMilliseconds(300));
        var aliceAfterReconnect = await StallProbe.FailureOfAsync(a.PayAsync(2));

        Assert.True(
            aliceAgain is null && bobPays is null && aliceAfterReconnect is null,
            $"after Alice's v2 proposal was lost and given up at its payment deadline, two honest clients refuse each other: "
            + $"Alice pays: {aliceAgain?.Message ?? "ok"}; Bob pays: {bobPays?.Message ?? "ok"}; Alice after a reconnect: {aliceAfterReconnect?.Message ?? "ok"} "
            + $"(Alice latest v{a.Latest?.State.Version}, Bob latest v{b.Latest?.State.Version})");
    }

    /// <summary>
    /// Same deadlock with the default shape of the timeouts (UpdateTimeout well below PaymentTimeout),
    /// from nothing but an outage (HIGH). Bob is unreachable for longer than PaymentTimeout while
    /// Alice's payment is in flight: her answer wait drops the link after UpdateTimeout (OnLinkLost
    /// keeps _inflight), and at the payment deadline the unanswered v2 is abandoned and recorded as
    /// possibly signed by Bob (ChannelMachine.Waits.cs:165-171). Bob comes back; both reestablish
    /// cleanly (nothing pending on either side) and Alice has nothing to say about v2. From then on
    /// Alice proposes at v3, Bob expects v2 (ChannelMachine.Responder.cs:129), and the reverse for
    /// Bob's proposals: even the cooperative close fails, from either side, for ever. The real
    /// defaults (10 s / 2 min) only need Bob offline for two minutes during a payment.
    /// </summary>
    [Fact]
    public async Task PaymentDeadline_PeerOfflineDuringPayment_AfterReconnectCooperativeCloseFailsBothWays()
    {
        var options = StallProbe.Options(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3));
        var (alice, bob, link, a, b) = await OpenAsync(options);

        // Bob goes offline just as Alice pays: her proposal never reaches him.
        link.Faults.DropNext(Is(MessageType.Propose));
        var pay = a.PayAsync(5);
        await RawPeer.WaitUntilAsync(() => link.Faults.Applied.Count > 0);
        link.Disconnect();
        Assert.Equal(ErrorCode.Timeout, Assert.IsType<StateChannelException>(await StallProbe.FailureOfAsync(pay)).Code);

        // Bob is back; both sides reestablish.
        Party.Reconnect(link, alice, bob);
        await Task.Delay(TimeSpan.FromMilliseconds(300));

        var bobCloses = await StallProbe.FailureOfAsync(b.CloseAsync());
        var aliceCloses = bobCloses is null ? null : await StallProbe.FailureOfAsync(a.CloseAsync());
        Assert.True(
            bobCloses is null || aliceCloses is null,
            $"after an outage longer than PaymentTimeout during Alice's payment, neither honest side can close cooperatively: "
            + $"Bob's CloseAsync: {bobCloses?.Message}; Alice's CloseAsync: {aliceCloses?.Message}");
    }

    /// <summary>
    /// The deadlock survives restarts of both clients (HIGH, the "forever" part). PeerSignedVersion = 2
    /// is durable on Alice's side (FailExpiredPaymentsAsync, ChannelMachine.Waits.cs:170); Bob's record
    /// has nothing at v2. After both processes restart on their stores and reconnect, the reestablish
    /// exchange carries no pending state (Alice never signed v2, Bob never saw it), so nothing
    /// reconciles the two NextVersions: Alice's payment is refused again ("version 3 proposed;
    /// expected 2"). Only ForceCloseAsync (on-chain dispute, challenge period) remains.
    /// </summary>
    [Fact]
    public async Task PaymentDeadline_ProposalLost_DeadlockSurvivesRestartOfBothClients()
    {
        var options = StallProbe.Options(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(2));
        var (alice, bob, link, a, _) = await OpenAsync(options);
        var id = a.Id;

        link.Faults.DropNext(Is(MessageType.Propose));
        Assert.Equal(ErrorCode.Timeout, Assert.IsType<StateChannelException>(await StallProbe.FailureOfAsync(a.PayAsync(5))).Code);

        // Both processes restart on their stores (same keys) and reconnect.
        await alice.DisconnectAllAsync();
        await bob.DisconnectAllAsync();
        await alice.Client.DisposeAsync();
        await bob.Client.DisposeAsync();
        var alice2 = await PartyAsync2("alice", alice.Store, options, alice.Key);
        var bob2 = await PartyAsync2("bob", bob.Store, options, bob.Key);
        Party.Reconnect(link, alice2, bob2);
        var a2 = alice2.Client.GetChannel(id);
        await Task.Delay(TimeSpan.FromMilliseconds(300));

        var again = await StallProbe.FailureOfAsync(a2.PayAsync(4));
        Assert.True(again is null, $"after both clients restarted and reconnected, Alice's payment is still refused by honest Bob: {again?.Message}");
    }

    private async Task<Party> PartyAsync2(string name, IChannelStore store, StateChannelClientOptions options, PrivateKey key)
    {
        var party = await Party.CreateAsync(name, _chain, store, options, keyOf: key);
        _owned.Add(party);
        return party;
    }
}
