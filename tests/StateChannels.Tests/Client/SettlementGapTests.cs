using StateChannels.Protocol;
using StateChannels.Testing;
using StateChannels.Tests.Support;
using static StateChannels.Tests.Support.RawWire;

namespace StateChannels.Tests.Client;

/// <summary>
/// The outside review's smaller findings: a co-signed final state the peer never submits (G6, finding
/// 5), a fallen-behind copy that never refutes although it is higher than the registered state
/// (G7, finding 6), and a fake "you are behind" rejection that parks payments forever (G8, finding 7).
/// </summary>
public sealed class SettlementGapTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    private static StateChannelClientOptions Options()
    {
        var options = Party.FastOptions();
        options.CloseSubmitDelay = TimeSpan.FromMilliseconds(200);
        options.UpdateTimeout = TimeSpan.FromSeconds(2);
        return options;
    }

    private static OnChainChannel View(SimulatedChain chain, ChannelParams p) =>
        chain.For(EthAddress.Parse("0x00000000000000000000000000000000000000aa")).GetChannelAsync(p).AsTask().Result;

    [Fact]
    public async Task Funding_FinalStateCoSignedPeerNeverSubmits_WatcherClosesAndBobGetsHisDepositBack()
    {
        var chain = new SimulatedChain(new Eip712Domain(31337, EthAddress.Parse("0x5FbDB2315678afecb367f032d93F642f64180aa3")));
        var mallory = PrivateKey.Create();
        await using var bob = await Party.CreateAsync("bob", chain, options: Options());
        var pair = InMemoryTransport.CreatePair(mallory.Address, bob.Address);
        bob.Serve(pair.Second);
        var wire = pair.First;
        Signature Sign(ChannelState s) => mallory.Sign(Eip712.HashState(chain.Domain, s));

        // Mallory opens 100/100, confirms version 0, and never deposits; Bob deposits his 100.
        var p = new ChannelParams(mallory.Address, bob.Address, EthAddress.Zero, 3600UL, Hash32.CreateRandom(), 100, 100);
        var id = Eip712.ComputeChannelId(chain.Domain, p);
        await SendAsync(wire, new OpenRequest(p, chain.Domain));
        var v0 = ChannelState.Opening(id, p);
        await SendAsync(wire, new ProposeUpdate(v0, 0));
        await ReceiveAsync<AcceptUpdate>(wire);
        await SendAsync(wire, new ConfirmUpdate(id, 0, Sign(v0)));
        await RawPeer.WaitUntilAsync(() => View(chain, p).Held1 == 100);

        // She asks to close during funding; Bob co-signs the final state; she never submits it. (Bob's
        // funding loop ends when the channel leaves Funding: its timeout can no longer hit Closing.)
        var final = v0 with { Version = 1, IsFinal = true };
        await SendAsync(wire, new ProposeUpdate(final, 0));
        await ReceiveAsync<AcceptUpdate>(wire);
        await SendAsync(wire, new ConfirmUpdate(id, 1, Sign(final)));
        await RawPeer.WaitUntilAsync(() => bob.Client.GetChannel(id).Phase == ChannelPhase.Closing);

        using var stop = new CancellationTokenSource();
        var watcher = bob.Client.RunWatcherAsync(stop.Token);
        await RawPeer.WaitUntilAsync(() => bob.Client.GetChannel(id).Phase == ChannelPhase.Closed);
        Assert.True(View(chain, p).Concluded);
        Assert.Equal(new Amount(100), chain.BalanceOf(bob.Address, EthAddress.Zero)); // what he deposited
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => watcher);
    }

    [Fact]
    public async Task Active_FinalStateCoSignedPeerNeverSubmits_WatcherSubmitsItAfterTheDelay()
    {
        await using var peer = await RawPeer.OpenAsync(new InMemoryChannelStore(), Options());
        var v1 = peer.Bob.Latest!.State;
        var final = v1 with { Version = 2, IsFinal = true };
        await peer.SendAsync(new ProposeUpdate(final, 1));
        await peer.ReceiveAsync<AcceptUpdate>();
        await peer.SendAsync(new ConfirmUpdate(peer.Id, 2, peer.Sign(final)));
        await RawPeer.WaitUntilAsync(() => peer.Bob.Phase == ChannelPhase.Closing);

        using var stop = new CancellationTokenSource();
        var watcher = peer.BobParty.Client.RunWatcherAsync(stop.Token);
        await RawPeer.WaitUntilAsync(() => peer.Bob.Phase == ChannelPhase.Closed);
        Assert.Equal(final.Balance1, peer.Chain.BalanceOf(peer.BobParty.Address, EthAddress.Zero));
        Assert.Equal(final.Balance0, peer.Chain.BalanceOf(peer.Alice.Address, EthAddress.Zero));
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => watcher);
    }

    [Fact]
    public async Task RestoredFromBackup_PeerRegistersOlderThanOurCopy_WatcherRefutesWithIt()
    {
        var chain = new SimulatedChain(new Eip712Domain(31337, EthAddress.Parse("0x5FbDB2315678afecb367f032d93F642f64180aa3")));
        await using var alice = await Party.CreateAsync("alice", chain);
        await using var bob = await Party.CreateAsync("bob", chain);
        Party.Connect(alice, bob);
        var a = await alice.Client.OpenChannelAsync(bob.Address, 1_000, 1_000).WaitAsync(Limit);
        var b = bob.Client.GetChannel(a.Id);
        await RawPeer.WaitUntilAsync(() => b.Phase == ChannelPhase.Active);
        for (var i = 0; i < 5; i++)
        {
            await b.PayAsync(10).WaitAsync(Limit); // Bob pays Alice: version 5 gives her 1,050
        }

        await RawPeer.WaitUntilAsync(() => a.Latest!.State.Version == 5);
        await alice.DisposeAsync();
        await bob.DisconnectAllAsync();

        // Alice comes back from a copy she must treat as a backup (fallen behind); Bob registers
        // version 2 (1,020 for her). Her copy is stale for all she knows, but strictly higher.
        var options = Party.FastOptions();
        options.RestoredFromBackup = true;
        await using var restored = await Party.CreateAsync("alice-restored", chain, alice.Store, options, keyOf: alice.Key);
        await chain.For(bob.Address).RegisterAsync(a.Params, (await bob.Store.GetStateAsync(a.Id, 2))!);

        await restored.Client.WatchOnceAsync(CancellationToken.None);
        Assert.Equal(5UL, View(chain, a.Params).RegisteredVersion);
        Assert.Equal(ChannelPhase.Disputed, restored.Client.GetChannel(a.Id).Phase);
    }

    [Fact]
    public async Task FakeFallenBehindReject_PaymentFailsTyped_ConnectionDropsAndAfterResyncPaymentsFlow()
    {
        await using var peer = await RawPeer.OpenAsync(new InMemoryChannelStore(), Options());
        var v1 = peer.Bob.Latest!;
        var pay = peer.Bob.PayAsync(5);

        // Alice answers Bob's proposal "you are behind" and sends nothing newer: the claim is
        // unproven, the payment fails at once (typed), and the update timeout drops the connection.
        var propose = await peer.ReceiveAsync<ProposeUpdate>();
        await peer.SendAsync(new RejectUpdate(peer.Id, propose.State.Version, ErrorCode.FallenBehind, "behind"));
        var failed = await Assert.ThrowsAsync<StateChannelException>(() => pay.WaitAsync(Limit));
        Assert.Equal(ErrorCode.PeerRejected, failed.Code);
        await peer.AssertHungUpWithoutAsync<AcceptUpdate>();

        // Reconnected: the reestablish shows Bob is current; his next payment goes through.
        var pair = InMemoryTransport.CreatePair(peer.Alice.Address, peer.BobParty.Address);
        peer.BobParty.Serve(pair.Second);
        var wire = pair.First;
        await ReceiveAsync<Reestablish>(wire);
        await SendAsync(wire, new Reestablish(peer.Id, v1, null, null));
        var next = peer.Bob.PayAsync(7);
        var again = await ReceiveAsync<ProposeUpdate>(wire);
        Assert.Equal(2UL, again.State.Version);
        await SendAsync(wire, new AcceptUpdate(peer.Id, 2, peer.Sign(again.State)));
        var receipt = await next.WaitAsync(Limit);
        Assert.Equal(2UL, receipt.Version);
    }
}
