using StateChannels.Testing;
using StateChannels.Tests.Support;

namespace StateChannels.Tests.Client;

/// <summary>C11/B10: a client restored from an old backup takes no on-chain action until the peer's evidence syncs it.</summary>
public sealed class BackupRestoreTests
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

    private static async Task<InMemoryChannelStore> SnapshotAsync(IChannelStore store, ChannelId id)
    {
        var copy = new InMemoryChannelStore();
        var record = await store.GetChannelAsync(id);
        var history = new List<SignedState>();
        await foreach (var s in store.GetHistoryAsync(id))
        {
            history.Add(s);
        }

        await copy.WriteAsync(new StoreBatch([record!], history));
        return copy;
    }

    [Fact]
    public async Task RestoredFromOldBackup_RefusesOnChainActionUntilPeerSyncsIt()
    {
        await using var alice = await Party.CreateAsync("alice", _chain);
        await using var bob = await Party.CreateAsync("bob", _chain);
        Party.Connect(alice, bob);
        var a = await alice.Client.OpenChannelAsync(bob.Address, 1_000, 1_000).WaitAsync(Limit);
        var b = bob.Client.GetChannel(a.Id);
        await WaitUntilAsync(() => b.Phase == ChannelPhase.Active);
        for (var i = 0; i < 5; i++)
        {
            await b.PayAsync(10).WaitAsync(Limit);
        }

        await WaitUntilAsync(() => a.Latest!.State.Version == 5);
        var backup = await SnapshotAsync(alice.Store, a.Id); // Alice backs up at version 5 ...
        for (var i = 0; i < 5; i++)
        {
            await a.PayAsync(30).WaitAsync(Limit); // ... then pays 150 more, up to version 10.
        }

        await WaitUntilAsync(() => b.Latest!.State.Version == 10);
        await alice.DisposeAsync();
        await bob.DisconnectAllAsync();

        // Alice restores the backup: version 5 gives her 1,050; the truth (version 10) gives her 900.
        var options = Party.FastOptions();
        options.RestoredFromBackup = true;
        await using var restored = await Party.CreateAsync("alice-restored", _chain, backup, options, keyOf: alice.Key);
        var stale = restored.Client.GetChannel(a.Id);
        Assert.Equal(5UL, stale.Latest!.State.Version);

        var e = await Assert.ThrowsAsync<StateChannelException>(() => stale.ForceCloseAsync().WaitAsync(Limit));
        Assert.Equal(ErrorCode.FallenBehind, e.Code);
        e = await Assert.ThrowsAsync<StateChannelException>(() => stale.PayAsync(1));
        Assert.Equal(ErrorCode.FallenBehind, e.Code);
        await restored.Client.WatchOnceAsync(CancellationToken.None);
        Assert.Null((await _chain.For(restored.Address).GetChannelAsync(stale.Params)).RegisteredVersion);

        // Reconnected, Bob's signed version 10 brings Alice up to date; now she may act.
        Party.Connect(restored, bob);
        await WaitUntilAsync(() => stale.Latest!.State.Version == 10);
        await stale.PayAsync(1).WaitAsync(Limit);
        using var stop = new CancellationTokenSource();
        var force = stale.ForceCloseAsync(stop.Token); // registers version 11, then waits for the deadline
        await WaitUntilAsync(() => _chain.For(restored.Address).GetChannelAsync(stale.Params).AsTask().Result.RegisteredVersion == 11);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => force);
    }
}
