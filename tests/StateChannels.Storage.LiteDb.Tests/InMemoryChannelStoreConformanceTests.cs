using StateChannels.Testing;

namespace StateChannels.Storage.LiteDb.Tests;

/// <summary>The store conformance suite on <see cref="InMemoryChannelStore"/>, the test double engines are tested with.</summary>
public sealed class InMemoryChannelStoreConformanceTests : ChannelStoreConformanceTests
{
    private InMemoryChannelStore? _store;

    protected override Task<IChannelStore> CreateStoreAsync(int? historyRetention = null) =>
        Task.FromResult<IChannelStore>(_store = new InMemoryChannelStore(historyRetention));

    protected override async Task<IChannelStore> ReopenAsync(IChannelStore store)
    {
        await store.DisposeAsync();
        return ((InMemoryChannelStore)store).Restart();
    }

    protected override Task<IChannelStore> OpenSameStorageAsync() => Task.FromResult<IChannelStore>(_store!.OpenAgain());

    protected override Task<IChannelStore> CorruptStateAsync(IChannelStore store, ChannelId id, ulong version)
    {
        ((InMemoryChannelStore)store).CorruptState(id, version);
        return Task.FromResult(store);
    }

    protected override Task<IChannelStore> CorruptChannelAsync(IChannelStore store, ChannelId id)
    {
        ((InMemoryChannelStore)store).CorruptChannel(id);
        return Task.FromResult(store);
    }

    protected override Task<IChannelStore> RewriteChannelPayloadAsync(IChannelStore store, ChannelId id, Func<byte[], byte[]> rewrite)
    {
        ((InMemoryChannelStore)store).RewriteChannelPayload(id, rewrite);
        return Task.FromResult(store);
    }

    protected override Task<IChannelStore> RewriteStatePayloadAsync(IChannelStore store, ChannelId id, ulong version, Func<byte[], byte[]> rewrite)
    {
        ((InMemoryChannelStore)store).RewriteStatePayload(id, version, rewrite);
        return Task.FromResult(store);
    }

    protected override Task<IChannelStore> CorruptJournalEntryAsync(IChannelStore store, string key)
    {
        ((InMemoryChannelStore)store).CorruptJournalEntry(key);
        return Task.FromResult(store);
    }
}
