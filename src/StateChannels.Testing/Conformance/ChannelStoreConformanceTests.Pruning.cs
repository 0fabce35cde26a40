using Xunit;
using static StateChannels.Testing.Conformance.StoreFixtures;

#pragma warning disable CS1591 // the suite's test methods: each name says what it checks

namespace StateChannels.Testing.Conformance;

/// <content>Pruning and retention: old history goes, protected states stay.</content>
public abstract partial class ChannelStoreConformanceTests
{
    [Fact]
    public async Task PruneHistoryAsync_BelowProtectedVersions_RemovesOlderStates()
    {
        IChannelStore store = await OpenAsync();
        ChannelRecord channel = await WriteHistoryAsync(store, NewChannel(), 10);

        await store.PruneHistoryAsync(channel.Id, 5);

        Assert.Equal([5UL, 6, 7, 8, 9], await VersionsAsync(store, channel.Id));
        Assert.Null(await store.GetStateAsync(channel.Id, 4));
    }

    [Fact]
    public async Task PruneHistoryAsync_AtOrAboveLatestOrLastSigned_KeepsThem()
    {
        IChannelStore store = await OpenAsync();
        ChannelRecord channel = NewChannel();
        SignedState[] states = Enumerable.Range(0, 10).Select(v => Signed(channel.Id, (ulong)v)).ToArray();
        await store.WriteAsync(new StoreBatch([channel.At(states[6], lastSigned: states[7])], states));

        await store.PruneHistoryAsync(channel.Id, ulong.MaxValue);

        Assert.Equal([6UL, 7, 8, 9], await VersionsAsync(store, channel.Id));

        await store.WriteAsync(StoreBatch.Of(channel.At(states[9], lastSigned: states[3])));
        await store.PruneHistoryAsync(channel.Id, ulong.MaxValue);

        Assert.Equal([6UL, 7, 8, 9], await VersionsAsync(store, channel.Id));
    }

    [Fact]
    public async Task PruneHistoryAsync_RecordWithoutFullySignedState_RemovesNothing()
    {
        IChannelStore store = await OpenAsync();
        ChannelRecord channel = NewChannel();
        await store.WriteAsync(new StoreBatch([channel], [Signed(channel.Id, 0), Signed(channel.Id, 1)]));

        await store.PruneHistoryAsync(channel.Id, 2);

        Assert.Equal([0UL, 1], await VersionsAsync(store, channel.Id));
    }

    [Fact]
    public async Task PruneHistoryAsync_ChannelWithoutRecord_PrunesAsAsked()
    {
        IChannelStore store = await OpenAsync();
        ChannelId orphan = NewChannel().Id;
        await store.WriteAsync(new StoreBatch([], [Signed(orphan, 0), Signed(orphan, 1), Signed(orphan, 2)]));

        await store.PruneHistoryAsync(orphan, 2);

        Assert.Equal([2UL], await VersionsAsync(store, orphan));
    }

    [Fact]
    public async Task Retention_EveryWrite_KeepsLastVersions()
    {
        IChannelStore store = await OpenAsync(historyRetention: 3);
        ChannelRecord other = await WriteHistoryAsync(store, NewChannel(), 2);

        ChannelRecord channel = await WriteHistoryAsync(store, NewChannel(), 10);

        Assert.Equal([7UL, 8, 9], await VersionsAsync(store, channel.Id));
        Assert.Equal([0UL, 1], await VersionsAsync(store, other.Id));
    }

    [Fact]
    public async Task Retention_NeverPrunesAtOrAboveLatestOrLastSigned()
    {
        IChannelStore store = await OpenAsync(historyRetention: 2);
        ChannelRecord channel = NewChannel();
        SignedState[] states = Enumerable.Range(0, 10).Select(v => Signed(channel.Id, (ulong)v)).ToArray();

        // The latest fully signed state is stuck at 4 (e.g. later ones only half-signed by the peer).
        foreach (SignedState state in states)
        {
            await store.WriteAsync(StoreBatch.Of(channel.At(states[Math.Min(4, (int)state.State.Version)], lastSigned: state), state));
        }

        Assert.Equal([4UL, 5, 6, 7, 8, 9], await VersionsAsync(store, channel.Id));
    }
}
