namespace StateChannels.Storage.LiteDb.Tests;

/// <summary>The store conformance suite on <see cref="LiteDbChannelStore"/>, on a real file in a temporary directory.</summary>
public class LiteDbChannelStoreConformanceTests : ChannelStoreConformanceTests
{
    private readonly TempDirectory _directory = new();
    private int? _historyRetention;

    private string DatabasePath => _directory.File("client.db");

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _directory.Dispose();
    }

    protected override Task<IChannelStore> CreateStoreAsync(int? historyRetention = null)
    {
        _historyRetention = historyRetention;
        return Task.FromResult(Open());
    }

    protected override async Task<IChannelStore> ReopenAsync(IChannelStore store)
    {
        await store.DisposeAsync();
        return Open();
    }

    protected override Task<IChannelStore> OpenSameStorageAsync() => Task.FromResult(Open());

    protected override Task<IChannelStore> CorruptStateAsync(IChannelStore store, ChannelId id, ulong version) =>
        EditClosedAsync(store, () => RawLiteDb.FlipPayloadBit(DatabasePath, StoreDocuments.States, StoreDocuments.StateKey(id, version)));

    protected override Task<IChannelStore> CorruptChannelAsync(IChannelStore store, ChannelId id) =>
        EditClosedAsync(store, () => RawLiteDb.FlipPayloadBit(DatabasePath, StoreDocuments.Channels, StoreDocuments.ChannelKey(id)));

    protected override Task<IChannelStore> RewriteChannelPayloadAsync(IChannelStore store, ChannelId id, Func<byte[], byte[]> rewrite) =>
        EditClosedAsync(store, () => RawLiteDb.RewritePayload(DatabasePath, StoreDocuments.Channels, StoreDocuments.ChannelKey(id), rewrite));

    protected override Task<IChannelStore> RewriteStatePayloadAsync(IChannelStore store, ChannelId id, ulong version, Func<byte[], byte[]> rewrite) =>
        EditClosedAsync(store, () => RawLiteDb.RewritePayload(DatabasePath, StoreDocuments.States, StoreDocuments.StateKey(id, version), rewrite));

    protected override Task<IChannelStore> CorruptJournalEntryAsync(IChannelStore store, string key) =>
        EditClosedAsync(store, () => RawLiteDb.FlipPayloadBit(DatabasePath, StoreDocuments.Journal, StoreDocuments.JournalKey(key)));

    /// <summary>Options beyond the suite's: none here; see <see cref="LiteDbChannelStoreTinyBuffersConformanceTests"/>.</summary>
    protected virtual LiteDbStoreOptions Tune(LiteDbStoreOptions options) => options;

    private IChannelStore Open() =>
        LiteDbChannelStore.Open(DatabasePath, Tune(new LiteDbStoreOptions { HistoryRetention = _historyRetention }));

    private async Task<IChannelStore> EditClosedAsync(IChannelStore store, Action edit)
    {
        await store.DisposeAsync();
        edit();
        return Open();
    }
}

/// <summary>
/// The suite again with every buffer tiny: history states go into LiteDB after 3 wait in memory, the
/// commit log wraps every few writes, LiteDB's log syncs every 8 pages. Every read then merges
/// memory and LiteDB, and every write may cross a sync.
/// </summary>
public sealed class LiteDbChannelStoreTinyBuffersConformanceTests : LiteDbChannelStoreConformanceTests
{
    protected override LiteDbStoreOptions Tune(LiteDbStoreOptions options)
    {
        options.HistoryFlushStates = 3;
        options.CommitLogBytes = 64 * 1024;
        options.CheckpointPages = 8;
        return options;
    }
}
