using StateChannels.Testing;
using StateChannels.Tests.Support;

namespace StateChannels.Tests.Client;

/// <summary>
/// THREATS F3: the same key in two instances. Bob's store is copied at version 3 and a second
/// instance ("bob-copy") runs from the copy while the first goes on to version 6 with Alice. When
/// the copy meets Alice, her fully signed version 6 carries Bob's signature at a version the copy
/// never signed: the copy raises <see cref="KeyInUseDetected"/> and signs nothing more.
/// </summary>
public sealed class KeyInUseTests
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

    private static async Task<InMemoryChannelStore> CopyAsync(IChannelStore store, ChannelId id)
    {
        var copy = new InMemoryChannelStore();
        var history = new List<SignedState>();
        await foreach (var s in store.GetHistoryAsync(id))
        {
            history.Add(s);
        }

        await copy.WriteAsync(new StoreBatch([(await store.GetChannelAsync(id))!], history));
        return copy;
    }

    /// <summary>Alice and Bob at version 6, and a copy of Bob's store taken at version 3.</summary>
    private async Task<(Party Alice, Party Bob, Channel A, InMemoryChannelStore CopyAt3)> TwoInstancesAsync()
    {
        var alice = await Party.CreateAsync("alice", _chain);
        var bob = await Party.CreateAsync("bob", _chain);
        Party.Connect(alice, bob);
        var a = await alice.Client.OpenChannelAsync(bob.Address, 1_000, 1_000).WaitAsync(Limit);
        var b = bob.Client.GetChannel(a.Id);
        await WaitUntilAsync(() => b.Phase == ChannelPhase.Active);
        for (var i = 0; i < 3; i++)
        {
            await a.PayAsync(10).WaitAsync(Limit);
        }

        await WaitUntilAsync(() => b.Latest!.State.Version == 3);
        var copy = await CopyAsync(bob.Store, a.Id);
        for (var i = 0; i < 3; i++)
        {
            await b.PayAsync(20).WaitAsync(Limit);
        }

        await WaitUntilAsync(() => a.Latest!.State.Version == 6);
        await alice.DisconnectAllAsync();
        await bob.DisconnectAllAsync();
        return (alice, bob, a, copy);
    }

    [Fact]
    public async Task Reestablish_PeerHoldsOurSignatureAboveAnyWeSigned_KeyInUseAlarmAndNoMoreSigning()
    {
        var (alice, bob, a, copy) = await TwoInstancesAsync();
        await using var _ = alice;
        await using var __ = bob;
        await using var bobCopy = await Party.CreateAsync("bob-copy", _chain, copy, keyOf: bob.Key);
        var c = bobCopy.Client.GetChannel(a.Id);
        Assert.Equal(3UL, c.Latest!.State.Version);
        using var stop = new CancellationTokenSource(Limit);
        var alarm = MalloryTests.FirstEventAsync<KeyInUseDetected>(bobCopy.Client, stop.Token);

        Party.Connect(alice, bobCopy);
        var e = await alarm;
        Assert.Equal(a.Id, e.ChannelId);
        Assert.Equal(6UL, e.Version);

        // The evidence is still adopted (the copy can dispute with the truth) ...
        await WaitUntilAsync(() => c.Latest!.State.Version == 6);
        Assert.Equal(a.Latest, c.Latest);

        // ... but the copy signs nothing more: neither its own payment nor Alice's.
        var mine = await Assert.ThrowsAsync<StateChannelException>(() => c.PayAsync(1).WaitAsync(Limit));
        Assert.Equal(ErrorCode.KeyInUse, mine.Code);
        var theirs = await Assert.ThrowsAsync<StateChannelException>(() => a.PayAsync(1).WaitAsync(Limit));
        Assert.Equal(ErrorCode.PeerRejected, theirs.Code);
        Assert.Contains(nameof(ErrorCode.KeyInUse), theirs.Message, StringComparison.Ordinal);
        var close = await Assert.ThrowsAsync<StateChannelException>(() => c.CloseAsync().WaitAsync(Limit));
        Assert.Equal(ErrorCode.KeyInUse, close.Code);
        Assert.Equal(6UL, (await bobCopy.Store.GetChannelAsync(a.Id))!.LastSigned!.State.Version);
        Assert.Equal(6UL, a.Latest!.State.Version);
    }

    [Fact]
    public async Task Reestablish_CopyStartedAsRestoredBackup_SyncsWithoutAlarmAndKeepsWorking()
    {
        var (alice, bob, a, copy) = await TwoInstancesAsync();
        await using var _ = alice;
        await bob.DisposeAsync(); // the first instance is gone: the copy is a legitimate restore
        var options = Party.FastOptions();
        options.RestoredFromBackup = true;
        await using var restored = await Party.CreateAsync("bob-restored", _chain, copy, options, keyOf: bob.Key);
        var c = restored.Client.GetChannel(a.Id);
        using var stop = new CancellationTokenSource(Limit);
        var synced = MalloryTests.FirstEventAsync<ChannelEvent>(restored.Client, stop.Token);

        Party.Connect(alice, restored);
        Assert.IsType<ChannelSynced>(await synced);
        await c.PayAsync(1).WaitAsync(Limit);
        await a.PayAsync(1).WaitAsync(Limit);
        await WaitUntilAsync(() => c.Latest!.State.Version == 8);
    }
}
