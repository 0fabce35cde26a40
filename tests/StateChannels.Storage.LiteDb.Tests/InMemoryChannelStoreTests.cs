using StateChannels.Testing;
using static StateChannels.Testing.Conformance.StoreFixtures;

namespace StateChannels.Storage.LiteDb.Tests;

/// <summary>The fault-injection hooks of <see cref="InMemoryChannelStore"/> (its contract is in the conformance suite).</summary>
public sealed class InMemoryChannelStoreTests
{
    [Fact]
    public async Task FailNextWrite_FailsOneWriteWithNothingWritten()
    {
        var store = new InMemoryChannelStore();
        ChannelRecord channel = NewChannel();
        store.FailNextWrite();

        var ex = await Assert.ThrowsAsync<StateChannelException>(async () => await store.WriteAsync(StoreBatch.Of(channel)));
        await store.WriteAsync(StoreBatch.Of(channel with { PeerSignedVersion = 1 }));

        Assert.Equal(ErrorCode.StorageFailure, ex.Code);
        Assert.Equal(1, store.WriteCount);
        Assert.Equal(1UL, (await store.GetChannelAsync(channel.Id))!.PeerSignedVersion);
    }

    [Fact]
    public async Task BeforeWrite_ThrowingHook_FailsTheWrite()
    {
        var store = new InMemoryChannelStore { BeforeWrite = _ => throw new InvalidOperationException("disk on fire") };

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await store.SetCursorAsync("c", 1));

        store.BeforeWrite = null;
        Assert.Null(await store.GetCursorAsync("c"));
    }

    [Fact]
    public async Task Restart_WhileAWriteIsInFlight_HoldsOnlyCompletedWrites()
    {
        var release = new TaskCompletionSource();
        var store = new InMemoryChannelStore();
        ChannelRecord done = NewChannel();
        ChannelRecord inFlight = NewChannel();
        await store.WriteAsync(StoreBatch.Of(done));
        store.BeforeWrite = async ct => await release.Task.WaitAsync(ct);

        Task write = store.WriteAsync(StoreBatch.Of(inFlight)).AsTask();
        InMemoryChannelStore restarted = store.Restart();
        release.SetResult();
        await write;

        Assert.Equal(done, await restarted.GetChannelAsync(done.Id));
        Assert.Null(await restarted.GetChannelAsync(inFlight.Id));
        Assert.Equal(inFlight, await store.GetChannelAsync(inFlight.Id));
    }

    [Fact]
    public void Constructor_RetentionBelowOne_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new InMemoryChannelStore(historyRetention: 0));
}
