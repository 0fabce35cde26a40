using Xunit;
using static StateChannels.Testing.Conformance.StoreFixtures;

#pragma warning disable CS1591 // the suite's test methods: each name says what it checks

namespace StateChannels.Testing.Conformance;

/// <content>Integrity: damaged and future records are refused, never returned.</content>
public abstract partial class ChannelStoreConformanceTests
{
    [Fact]
    public async Task CorruptState_Read_ThrowsStorageFailure()
    {
        IChannelStore store = await OpenAsync();
        ChannelRecord channel = await WriteHistoryAsync(store, NewChannel(), 3);

        store = Track(await CorruptStateAsync(store, channel.Id, 1));

        Assert.Equal(ErrorCode.StorageFailure, (await Assert.ThrowsAsync<StateChannelException>(async () => await store.GetStateAsync(channel.Id, 1))).Code);
        Assert.Equal(ErrorCode.StorageFailure, (await Assert.ThrowsAsync<StateChannelException>(async () => await ToListAsync(store.GetHistoryAsync(channel.Id)))).Code);
        Assert.Equal(Signed(channel.Id, 2), await store.GetStateAsync(channel.Id, 2));
    }

    [Fact]
    public async Task CorruptState_ReappendSameVersion_IsRefused()
    {
        IChannelStore store = await OpenAsync();
        ChannelRecord channel = await WriteHistoryAsync(store, NewChannel(), 3);
        store = Track(await CorruptStateAsync(store, channel.Id, 1));

        var ex = await Assert.ThrowsAsync<StateChannelException>(async () => await store.WriteAsync(new StoreBatch([], [Signed(channel.Id, 1)])));

        Assert.Equal(ErrorCode.StorageFailure, ex.Code);
    }

    [Fact]
    public async Task CorruptChannel_Read_ThrowsStorageFailure()
    {
        IChannelStore store = await OpenAsync();
        ChannelRecord channel = await WriteHistoryAsync(store, NewChannel(), 1);
        ChannelRecord healthy = await WriteHistoryAsync(store, NewChannel(), 1);

        store = Track(await CorruptChannelAsync(store, channel.Id));

        Assert.Equal(ErrorCode.StorageFailure, (await Assert.ThrowsAsync<StateChannelException>(async () => await store.GetChannelAsync(channel.Id))).Code);
        Assert.Equal(ErrorCode.StorageFailure, (await Assert.ThrowsAsync<StateChannelException>(async () => await ToListAsync(store.GetChannelsAsync()))).Code);
        Assert.Equal(healthy, await store.GetChannelAsync(healthy.Id));
    }

    [Fact]
    public async Task FutureSchemaRecord_Read_ThrowsUnsupportedSchemaVersion()
    {
        IChannelStore store = await OpenAsync();
        ChannelRecord channel = await WriteHistoryAsync(store, NewChannel(), 2);

        store = Track(await RewriteChannelPayloadAsync(store, channel.Id, WithFutureSchema));
        store = Track(await RewriteStatePayloadAsync(store, channel.Id, 1, WithFutureSchema));

        Assert.Equal(ErrorCode.UnsupportedSchemaVersion, (await Assert.ThrowsAsync<StateChannelException>(async () => await store.GetChannelAsync(channel.Id))).Code);
        Assert.Equal(ErrorCode.UnsupportedSchemaVersion, (await Assert.ThrowsAsync<StateChannelException>(async () => await store.GetStateAsync(channel.Id, 1))).Code);
        Assert.Equal(Signed(channel.Id, 0), await store.GetStateAsync(channel.Id, 0));
    }

    [Fact]
    public async Task UndecodablePayloadWithValidChecksum_Read_ThrowsStorageFailure()
    {
        IChannelStore store = await OpenAsync();
        ChannelRecord channel = await WriteHistoryAsync(store, NewChannel(), 1);

        store = Track(await RewriteChannelPayloadAsync(store, channel.Id, p => p[..^3]));

        Assert.Equal(ErrorCode.StorageFailure, (await Assert.ThrowsAsync<StateChannelException>(async () => await store.GetChannelAsync(channel.Id))).Code);
    }

    [Fact]
    public async Task StateStoredUnderWrongVersion_Read_ThrowsStorageFailure()
    {
        IChannelStore store = await OpenAsync();
        ChannelRecord channel = await WriteHistoryAsync(store, NewChannel(), 3);
        byte[] v2 = RecordCodec.EncodeState(Signed(channel.Id, 2));

        store = Track(await RewriteStatePayloadAsync(store, channel.Id, 1, _ => v2));

        Assert.Equal(ErrorCode.StorageFailure, (await Assert.ThrowsAsync<StateChannelException>(async () => await store.GetStateAsync(channel.Id, 1))).Code);
    }
}
