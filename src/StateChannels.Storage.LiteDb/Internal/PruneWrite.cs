namespace StateChannels.Storage.LiteDb;

/// <summary><see cref="IChannelStore.PruneHistoryAsync"/>: remove a channel's history below a version.</summary>
internal sealed class PruneWrite(ChannelId channelId, ulong belowVersion) : PendingWrite
{
    public ChannelId ChannelId { get; } = channelId;

    public ulong BelowVersion { get; } = belowVersion;
}
