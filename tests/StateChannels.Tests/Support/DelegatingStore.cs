namespace StateChannels.Tests.Support;

/// <summary>A store that hands every call to <paramref name="inner"/>; test stores override what they change (usually <see cref="WriteAsync"/>).</summary>
internal abstract class DelegatingStore(IChannelStore inner) : IChannelStore
{
    protected IChannelStore Inner => inner;

    public virtual ValueTask WriteAsync(StoreBatch batch, CancellationToken cancellationToken = default) => inner.WriteAsync(batch, cancellationToken);

    public ValueTask<ChannelRecord?> GetChannelAsync(ChannelId id, CancellationToken cancellationToken = default) => inner.GetChannelAsync(id, cancellationToken);

    public IAsyncEnumerable<ChannelRecord> GetChannelsAsync(CancellationToken cancellationToken = default) => inner.GetChannelsAsync(cancellationToken);

    public ValueTask<SignedState?> GetStateAsync(ChannelId id, ulong version, CancellationToken cancellationToken = default) => inner.GetStateAsync(id, version, cancellationToken);

    public IAsyncEnumerable<SignedState> GetHistoryAsync(ChannelId id, ulong fromVersion = 0, CancellationToken cancellationToken = default) => inner.GetHistoryAsync(id, fromVersion, cancellationToken);

    public ValueTask PruneHistoryAsync(ChannelId id, ulong belowVersion, CancellationToken cancellationToken = default) => inner.PruneHistoryAsync(id, belowVersion, cancellationToken);

    public ValueTask<ulong?> GetCursorAsync(string name, CancellationToken cancellationToken = default) => inner.GetCursorAsync(name, cancellationToken);

    public ValueTask SetCursorAsync(string name, ulong value, CancellationToken cancellationToken = default) => inner.SetCursorAsync(name, value, cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
