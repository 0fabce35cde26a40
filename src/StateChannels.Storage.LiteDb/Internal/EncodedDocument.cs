namespace StateChannels.Storage.LiteDb;

/// <summary>A record or state as stored: its key, codec payload and checksum.</summary>
internal sealed class EncodedDocument
{
    public EncodedDocument(ChannelId channelId, ulong version, byte[] key, byte[] payload)
    {
        ChannelId = channelId;
        Version = version;
        Key = key;
        Payload = payload;
        Checksum = StoreDocuments.Checksum(key, payload);
    }

    public ChannelId ChannelId { get; }

    /// <summary>The state's version (0 for a channel record).</summary>
    public ulong Version { get; }

    public byte[] Key { get; }

    public byte[] Payload { get; }

    public byte[] Checksum { get; }
}
