using StateChannels.Testing;
using StateChannels.Tests.Support;

namespace StateChannels.Tests.Client;

/// <summary>
/// THREATS C10: a stored state whose signature does not verify on load is never used on chain; the
/// channel is fallen-behind until the peer's signed evidence syncs it (without a key-in-use alarm:
/// an untrusted store is expected to lack signatures).
/// </summary>
public sealed class StoredStateTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);
    private readonly SimulatedChain _chain = new(new Eip712Domain(31337, EthAddress.Parse("0x5FbDB2315678afecb367f032d93F642f64180aa3")));

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var until = DateTime.UtcNow + Limit;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, "condition not reached in time");
            await Task.Delay(5);
        }
    }

    [Fact]
    public async Task LoadedStateWithBadSignature_FallenBehindNoDisputeUntilPeerSyncs()
    {
        await using var alice = await Party.CreateAsync("alice", _chain);
        await using var bob = await Party.CreateAsync("bob", _chain);
        Party.Connect(alice, bob);
        var a = await alice.Client.OpenChannelAsync(bob.Address, 1_000, 1_000).WaitAsync(Limit);
        var b = bob.Client.GetChannel(a.Id);
        await WaitUntilAsync(() => b.Phase == ChannelPhase.Active);
        for (var i = 0; i < 5; i++)
        {
            await a.PayAsync(10).WaitAsync(Limit);
        }

        await WaitUntilAsync(() => b.Latest!.State.Version == 5);
        await alice.DisposeAsync();
        await bob.DisconnectAllAsync();

        // Alice's stored latest state comes back with Bob's signature damaged (bit rot, a bad
        // restore): it still parses, but no longer verifies.
        var record = (await alice.Store.GetChannelAsync(a.Id))!;
        using var stranger = PrivateKey.Create();
        var damaged = record.Latest! with { Sig1 = stranger.Sign(Eip712.HashState(_chain.Domain, record.Latest!.State)) };
        var store = new InMemoryChannelStore();
        await store.WriteAsync(new StoreBatch([record with { Latest = damaged }], [damaged]));

        await using var reloaded = await Party.CreateAsync("alice-reloaded", _chain, store, keyOf: alice.Key);
        var c = reloaded.Client.GetChannel(a.Id);
        Assert.Null(c.Latest);
        var e = await Assert.ThrowsAsync<StateChannelException>(() => c.ForceCloseAsync());
        Assert.Equal(ErrorCode.FallenBehind, e.Code);
        e = await Assert.ThrowsAsync<StateChannelException>(() => c.PayAsync(1));
        Assert.Equal(ErrorCode.FallenBehind, e.Code);
        await reloaded.Client.WatchOnceAsync(CancellationToken.None);
        Assert.Null((await _chain.For(alice.Address).GetChannelAsync(c.Params)).RegisteredVersion);

        // Bob's reestablish brings the verified version 5 back; payments flow again (no KeyInUse alarm).
        using var stop = new CancellationTokenSource(Limit);
        var synced = MalloryTests.FirstEventAsync<ChannelEvent>(reloaded.Client, stop.Token);
        Party.Connect(reloaded, bob);
        Assert.Equal(new ChannelSynced(a.Id, 5), await synced);
        await c.PayAsync(1).WaitAsync(Limit);
        await WaitUntilAsync(() => b.Latest!.State.Version == 6);
        Assert.Equal(b.Latest, c.Latest);
    }
}
