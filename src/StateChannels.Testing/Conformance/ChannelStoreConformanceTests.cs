using Xunit;
using static StateChannels.Testing.Conformance.StoreFixtures;

#pragma warning disable CS1591 // the suite's test methods: each name says what it checks

namespace StateChannels.Testing.Conformance;

/// <summary>
/// The contract of <see cref="IChannelStore"/>, which every store implementation must pass: derive
/// from this class and say how to open, reopen and damage your store.
/// </summary>
public abstract partial class ChannelStoreConformanceTests : IAsyncLifetime
{
    private readonly List<IChannelStore> _opened = [];

    /// <summary>Opens a new, empty store (the same one for every call within a test, unless reopened).</summary>
    protected abstract Task<IChannelStore> CreateStoreAsync(int? historyRetention = null);

    /// <summary>Disposes <paramref name="store"/> and opens what it durably holds, as a restarted process would.</summary>
    protected abstract Task<IChannelStore> ReopenAsync(IChannelStore store);

    /// <summary>Damages the stored bytes of a state (checksum no longer matches); returns the store to read it back from.</summary>
    protected abstract Task<IChannelStore> CorruptStateAsync(IChannelStore store, ChannelId id, ulong version);

    /// <summary>Damages the stored bytes of a channel record; returns the store to read it back from.</summary>
    protected abstract Task<IChannelStore> CorruptChannelAsync(IChannelStore store, ChannelId id);

    /// <summary>Replaces a record's codec payload with a valid checksum (as another writer would); returns the store to read it back from.</summary>
    protected abstract Task<IChannelStore> RewriteChannelPayloadAsync(IChannelStore store, ChannelId id, Func<byte[], byte[]> rewrite);

    /// <summary>Replaces a state's codec payload with a valid checksum; returns the store to read it back from.</summary>
    protected abstract Task<IChannelStore> RewriteStatePayloadAsync(IChannelStore store, ChannelId id, ulong version, Func<byte[], byte[]> rewrite);

    /// <summary>
    /// Opens the storage of the store <see cref="CreateStoreAsync"/> returned once more, as a second
    /// instance or process would (the ownership contract: refused while that store is open).
    /// </summary>
    protected abstract Task<IChannelStore> OpenSameStorageAsync();

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        foreach (IChannelStore store in _opened)
        {
            await store.DisposeAsync();
        }
    }

    [Fact]
    public async Task WriteAsync_RecordAndState_RoundTrip()
    {
        IChannelStore store = await OpenAsync();
        ChannelRecord channel = NewChannel();
        SignedState v0 = Signed(channel.Id, 0);
        ChannelRecord record = channel.At(v0);

        await store.WriteAsync(StoreBatch.Of(record, v0));

        Assert.Equal(record, await store.GetChannelAsync(channel.Id));
        Assert.Equal(v0, await store.GetStateAsync(channel.Id, 0));
        Assert.Equal([v0], await ToListAsync(store.GetHistoryAsync(channel.Id)));
    }

    [Fact]
    public async Task Reads_UnknownKeys_ReturnNullOrEmpty()
    {
        IChannelStore store = await OpenAsync();
        ChannelId unknown = NewChannel().Id;

        Assert.Null(await store.GetChannelAsync(unknown));
        Assert.Null(await store.GetStateAsync(unknown, 0));
        Assert.Empty(await ToListAsync(store.GetHistoryAsync(unknown)));
        Assert.Empty(await ToListAsync(store.GetChannelsAsync()));
        Assert.Null(await store.GetCursorAsync("watcher"));
    }

    [Fact]
    public async Task WriteAsync_NewRecord_ReplacesPrevious()
    {
        IChannelStore store = await OpenAsync();
        ChannelRecord channel = NewChannel();
        SignedState v0 = Signed(channel.Id, 0);
        SignedState v1 = Signed(channel.Id, 1);
        await store.WriteAsync(StoreBatch.Of(channel.At(v0), v0));

        ChannelRecord closing = channel.At(v1) with { Phase = ChannelPhase.Closing, PeerSignedVersion = 1, FallenBehind = true };
        await store.WriteAsync(StoreBatch.Of(closing, v1));

        Assert.Equal(closing, await store.GetChannelAsync(channel.Id));
        Assert.Equal([v0, v1], await ToListAsync(store.GetHistoryAsync(channel.Id)));
    }

    [Fact]
    public async Task WriteAsync_SameChannelTwiceInBatch_LaterRecordWins()
    {
        IChannelStore store = await OpenAsync();
        ChannelRecord channel = NewChannel();
        ChannelRecord first = channel with { Phase = ChannelPhase.Funding };
        ChannelRecord second = channel with { Phase = ChannelPhase.Active };

        await store.WriteAsync(new StoreBatch([first, second], []));

        Assert.Equal(second, await store.GetChannelAsync(channel.Id));
    }

    [Fact]
    public async Task WriteAsync_RecordOnlyAndHistoryOnlyBatches_AreStored()
    {
        IChannelStore store = await OpenAsync();
        ChannelRecord channel = NewChannel();
        SignedState v0 = Signed(channel.Id, 0);

        await store.WriteAsync(StoreBatch.Of(channel));
        await store.WriteAsync(new StoreBatch([], [v0]));

        Assert.Equal(channel, await store.GetChannelAsync(channel.Id));
        Assert.Equal(v0, await store.GetStateAsync(channel.Id, 0));
    }

    [Fact]
    public async Task WriteAsync_NullBatch_ThrowsArgumentNull()
    {
        IChannelStore store = await OpenAsync();

        await Assert.ThrowsAsync<ArgumentNullException>(async () => await store.WriteAsync(null!));
    }

    [Fact]
    public async Task Cursors_SetAndOverwrite_ReadBackPerName()
    {
        IChannelStore store = await OpenAsync();

        await store.SetCursorAsync("watcher", 100);
        await store.SetCursorAsync("watcher", 250);
        await store.SetCursorAsync("other", ulong.MaxValue);

        Assert.Equal(250UL, await store.GetCursorAsync("watcher"));
        Assert.Equal(ulong.MaxValue, await store.GetCursorAsync("other"));
        Assert.Null(await store.GetCursorAsync("Watcher"));
    }

    [Fact]
    public async Task Cursors_InvalidName_ThrowArgumentException()
    {
        IChannelStore store = await OpenAsync();

        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await store.SetCursorAsync("", 1));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await store.SetCursorAsync(new string('c', 257), 1));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await store.GetCursorAsync(null!));
    }

    [Fact]
    public async Task WriteAsync_ManyConcurrentWriters_AllDurableAndVisible()
    {
        IChannelStore store = await OpenAsync();
        ChannelRecord[] channels = Enumerable.Range(0, 32).Select(_ => NewChannel()).ToArray();

        await Task.WhenAll(channels.Select((c, i) => Task.Run(async () =>
        {
            for (ulong v = 0; v < 8; v++)
            {
                SignedState state = Signed(c.Id, v);
                await store.WriteAsync(StoreBatch.Of(c.At(state), state));
                Assert.Equal(state, await store.GetStateAsync(c.Id, v));
            }

            await store.SetCursorAsync($"cursor-{i}", (ulong)i);
        })));

        store = await ReopenAsync(store);
        Track(store);
        for (int i = 0; i < channels.Length; i++)
        {
            ChannelRecord? record = await store.GetChannelAsync(channels[i].Id);
            Assert.Equal(7UL, record!.Latest!.State.Version);
            Assert.Equal(Enumerable.Range(0, 8).Select(v => (ulong)v), await VersionsAsync(store, channels[i].Id));
            Assert.Equal((ulong)i, await store.GetCursorAsync($"cursor-{i}"));
        }
    }

    [Fact]
    public async Task AllMembers_CancelledBeforeCall_ThrowAndWriteNothing()
    {
        IChannelStore store = await OpenAsync();
        ChannelRecord channel = await WriteHistoryAsync(store, NewChannel(), 3);
        ChannelRecord fresh = NewChannel();
        using var cts = new CancellationTokenSource();
        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await store.WriteAsync(StoreBatch.Of(fresh), cts.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await store.SetCursorAsync("c", 1, cts.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await store.PruneHistoryAsync(channel.Id, 2, cts.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await store.GetChannelAsync(channel.Id, cts.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await store.GetStateAsync(channel.Id, 0, cts.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await store.GetCursorAsync("c", cts.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await ToListAsync(store.GetChannelsAsync(cts.Token)));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await ToListAsync(store.GetHistoryAsync(channel.Id, 0, cts.Token)));

        Assert.Null(await store.GetChannelAsync(fresh.Id));
        Assert.Null(await store.GetCursorAsync("c"));
        Assert.Equal([0UL, 1, 2], await VersionsAsync(store, channel.Id));
    }

    [Fact]
    public async Task AfterDispose_CallsThrowObjectDisposed()
    {
        IChannelStore store = await OpenAsync();
        ChannelRecord channel = NewChannel();
        await store.DisposeAsync();
        await store.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await store.WriteAsync(StoreBatch.Of(channel)));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await store.SetCursorAsync("c", 1));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await store.GetChannelAsync(channel.Id));
    }

    [Fact]
    public async Task Reopen_AfterDispose_KeepsEverything()
    {
        IChannelStore store = await OpenAsync();
        ChannelRecord a = await WriteHistoryAsync(store, NewChannel(), 5);
        ChannelRecord b = await WriteHistoryAsync(store, NewChannel(myIndex: 1), 2);
        await store.SetCursorAsync("watcher", 12345);

        store = Track(await ReopenAsync(store));

        Assert.Equal(a, await store.GetChannelAsync(a.Id));
        Assert.Equal(b, await store.GetChannelAsync(b.Id));
        Assert.Equal([0UL, 1, 2, 3, 4], await VersionsAsync(store, a.Id));
        Assert.Equal(12345UL, await store.GetCursorAsync("watcher"));

        // And it goes on working after the reopen.
        SignedState v5 = Signed(a.Id, 5);
        await store.WriteAsync(StoreBatch.Of(a.At(v5), v5));
        Assert.Equal(v5, (await store.GetChannelAsync(a.Id))!.Latest);
    }

    [Fact]
    public async Task SecondOwner_WhileOpen_RefusedAndFirstKeepsWorking_OpensOnceDisposed()
    {
        IChannelStore store = await OpenAsync();
        ChannelRecord channel = NewChannel();
        SignedState v0 = Signed(channel.Id, 0);
        await store.WriteAsync(StoreBatch.Of(channel.At(v0), v0));

        StateChannelException e = await Assert.ThrowsAsync<StateChannelException>(async () => Track(await OpenSameStorageAsync()));
        Assert.Equal(ErrorCode.StorageFailure, e.Code);
        SignedState v1 = Signed(channel.Id, 1);
        await store.WriteAsync(StoreBatch.Of(channel.At(v1), v1));

        await store.DisposeAsync();
        IChannelStore next = Track(await OpenSameStorageAsync());
        Assert.Equal(channel.At(v1), await next.GetChannelAsync(channel.Id));
        Assert.Equal([0UL, 1], await VersionsAsync(next, channel.Id));
    }

    /// <summary>Opens the store under test and disposes it at the end of the test.</summary>
    protected async Task<IChannelStore> OpenAsync(int? historyRetention = null) => Track(await CreateStoreAsync(historyRetention));

    /// <summary>Disposes <paramref name="store"/> at the end of the test.</summary>
    protected IChannelStore Track(IChannelStore store)
    {
        _opened.Add(store);
        return store;
    }

    /// <summary>Writes versions 0..count-1, one batch each, with the record following; returns the last record.</summary>
    protected static async Task<ChannelRecord> WriteHistoryAsync(IChannelStore store, ChannelRecord channel, int count)
    {
        ChannelRecord record = channel;
        for (ulong v = 0; v < (ulong)count; v++)
        {
            SignedState state = Signed(channel.Id, v);
            record = channel.At(state);
            await store.WriteAsync(StoreBatch.Of(record, state));
        }

        return record;
    }

    protected static async Task<List<ulong>> VersionsAsync(IChannelStore store, ChannelId id) =>
        (await ToListAsync(store.GetHistoryAsync(id))).Select(s => s.State.Version).ToList();

    protected static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> source)
    {
        var list = new List<T>();
        await foreach (T item in source)
        {
            list.Add(item);
        }

        return list;
    }

    /// <summary>The payload as a newer library version would write it: a higher schema in its first two bytes.</summary>
    protected static byte[] WithFutureSchema(byte[] payload)
    {
        byte[] copy = payload.ToArray();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(copy, ChannelRecord.CurrentSchemaVersion + 1);
        return copy;
    }
}
