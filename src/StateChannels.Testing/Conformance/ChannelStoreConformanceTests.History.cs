using Xunit;
using static StateChannels.Testing.Conformance.StoreFixtures;

#pragma warning disable CS1591 // the suite's test methods: each name says what it checks

namespace StateChannels.Testing.Conformance;

/// <content>History: ordering, paging, idempotent re-append, conflicts.</content>
public abstract partial class ChannelStoreConformanceTests
{
    [Fact]
    public async Task GetHistoryAsync_StatesAppendedOutOfOrder_ReturnsAscendingFromVersion()
    {
        IChannelStore store = await OpenAsync();
        ChannelRecord channel = NewChannel();
        ChannelRecord other = NewChannel();
        foreach (ulong v in new ulong[] { 5, 1, 3, 0 })
        {
            await store.WriteAsync(new StoreBatch([], [Signed(channel.Id, v), Signed(other.Id, v + 10)]));
        }

        Assert.Equal(
            [0UL, 1, 3, 5],
            (await ToListAsync(store.GetHistoryAsync(channel.Id))).Select(s => s.State.Version));
        Assert.Equal(
            [3UL, 5],
            (await ToListAsync(store.GetHistoryAsync(channel.Id, fromVersion: 2))).Select(s => s.State.Version));
        Assert.Empty(await ToListAsync(store.GetHistoryAsync(channel.Id, fromVersion: 6)));
    }

    [Fact]
    public async Task GetHistoryAsync_LongHistory_ReturnsEveryStateInOrder()
    {
        IChannelStore store = await OpenAsync();
        ChannelRecord channel = NewChannel();
        SignedState[] states = Enumerable.Range(0, 300).Select(v => Signed(channel.Id, (ulong)v)).ToArray();
        await store.WriteAsync(new StoreBatch([channel.At(states[^1])], states));

        Assert.Equal(states, await ToListAsync(store.GetHistoryAsync(channel.Id)));
        Assert.Equal(states[130..], await ToListAsync(store.GetHistoryAsync(channel.Id, 130)));
    }

    [Fact]
    public async Task GetHistoryAsync_MaxVersion_IsStoredAndOrdered()
    {
        IChannelStore store = await OpenAsync();
        ChannelRecord channel = NewChannel();
        SignedState high = Signed(channel.Id, ulong.MaxValue);
        SignedState low = Signed(channel.Id, 1);

        await store.WriteAsync(new StoreBatch([], [high, low]));

        Assert.Equal([low, high], await ToListAsync(store.GetHistoryAsync(channel.Id)));
        Assert.Equal(high, await store.GetStateAsync(channel.Id, ulong.MaxValue));
    }

    [Fact]
    public async Task GetChannelsAsync_ManyChannels_ReturnsEachOnce()
    {
        IChannelStore store = await OpenAsync();
        ChannelRecord[] channels = Enumerable.Range(0, 200).Select(_ => NewChannel()).ToArray();
        await store.WriteAsync(new StoreBatch(channels, []));

        List<ChannelRecord> read = await ToListAsync(store.GetChannelsAsync());

        Assert.Equal(channels.OrderBy(c => c.Id), read.OrderBy(c => c.Id));
    }

    [Fact]
    public async Task WriteAsync_IdenticalStateAgain_IsNoOp()
    {
        IChannelStore store = await OpenAsync();
        ChannelRecord channel = NewChannel();
        SignedState v0 = Signed(channel.Id, 0);
        await store.WriteAsync(StoreBatch.Of(channel.At(v0), v0));

        ChannelRecord updated = channel.At(v0) with { PeerSignedVersion = 7 };
        await store.WriteAsync(StoreBatch.Of(updated, v0));
        await store.WriteAsync(new StoreBatch([], [v0, v0]));

        Assert.Equal(updated, await store.GetChannelAsync(channel.Id));
        Assert.Equal([v0], await ToListAsync(store.GetHistoryAsync(channel.Id)));
    }

    [Fact]
    public async Task WriteAsync_ConflictingState_FailsWholeBatchAndWritesNothing()
    {
        IChannelStore store = await OpenAsync();
        ChannelRecord channel = NewChannel();
        ChannelRecord bystander = NewChannel();
        SignedState v1 = Signed(channel.Id, 1);
        ChannelRecord before = channel.At(v1);
        await store.WriteAsync(StoreBatch.Of(before, v1));

        var conflicting = new StoreBatch(
            [channel.At(Signed(channel.Id, 2)), bystander],
            [Signed(channel.Id, 2), Signed(bystander.Id, 0), Signed(channel.Id, 1, variant: 1)]);
        var ex = await Assert.ThrowsAsync<StateChannelException>(async () => await store.WriteAsync(conflicting));

        Assert.Equal(ErrorCode.StorageFailure, ex.Code);
        Assert.Equal(before, await store.GetChannelAsync(channel.Id));
        Assert.Equal([v1], await ToListAsync(store.GetHistoryAsync(channel.Id)));
        Assert.Null(await store.GetChannelAsync(bystander.Id));
        Assert.Null(await store.GetStateAsync(bystander.Id, 0));
    }

    [Fact]
    public async Task WriteAsync_ConflictWithinBatch_FailsAndWritesNothing()
    {
        IChannelStore store = await OpenAsync();
        ChannelRecord channel = NewChannel();

        var ex = await Assert.ThrowsAsync<StateChannelException>(async () => await store.WriteAsync(
            new StoreBatch([channel], [Signed(channel.Id, 4), Signed(channel.Id, 4, variant: 9)])));

        Assert.Equal(ErrorCode.StorageFailure, ex.Code);
        Assert.Null(await store.GetChannelAsync(channel.Id));
        Assert.Null(await store.GetStateAsync(channel.Id, 4));
    }

    [Fact]
    public async Task WriteAsync_ConflictingBatchAmongConcurrentOnes_FailsAlone()
    {
        IChannelStore store = await OpenAsync();
        ChannelRecord contested = NewChannel();
        await store.WriteAsync(StoreBatch.Of(contested.At(Signed(contested.Id, 0)), Signed(contested.Id, 0)));
        ChannelRecord[] others = Enumerable.Range(0, 40).Select(_ => NewChannel()).ToArray();

        Task[] writes = others
            .Select(c => Task.Run(async () => await store.WriteAsync(StoreBatch.Of(c.At(Signed(c.Id, 0)), Signed(c.Id, 0)))))
            .ToList()
            .Append(Task.Run(async () => await store.WriteAsync(new StoreBatch([], [Signed(contested.Id, 0, variant: 3)]))))
            .ToArray();
        await Assert.ThrowsAsync<StateChannelException>(() => writes[^1]);
        await Task.WhenAll(writes[..^1]);

        foreach (ChannelRecord c in others)
        {
            Assert.Equal(Signed(c.Id, 0), await store.GetStateAsync(c.Id, 0));
        }

        Assert.Equal(Signed(contested.Id, 0), await store.GetStateAsync(contested.Id, 0));
    }

    [Fact]
    public async Task Enumerations_CancelledDuring_StopWithOperationCanceled()
    {
        IChannelStore store = await OpenAsync();
        ChannelRecord channel = NewChannel();
        SignedState[] states = Enumerable.Range(0, 300).Select(v => Signed(channel.Id, (ulong)v)).ToArray();
        ChannelRecord[] channels = Enumerable.Range(0, 150).Select(_ => NewChannel()).ToArray();
        await store.WriteAsync(new StoreBatch(channels, states));

        using var historyCts = new CancellationTokenSource();
        int seen = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (SignedState _ in store.GetHistoryAsync(channel.Id, 0, historyCts.Token))
            {
                if (++seen == 10)
                {
                    await historyCts.CancelAsync();
                }
            }
        });
        Assert.Equal(10, seen);

        using var channelsCts = new CancellationTokenSource();
        seen = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (ChannelRecord _ in store.GetChannelsAsync(channelsCts.Token))
            {
                if (++seen == 10)
                {
                    await channelsCts.CancelAsync();
                }
            }
        });
        Assert.Equal(10, seen);
    }
}
