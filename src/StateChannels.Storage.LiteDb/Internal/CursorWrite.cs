namespace StateChannels.Storage.LiteDb;

/// <summary><see cref="IChannelStore.SetCursorAsync"/>: set a named cursor.</summary>
internal sealed class CursorWrite : PendingWrite
{
    public CursorWrite(string name, ulong value)
    {
        Key = StoreDocuments.CursorKey(name);
        Payload = new byte[sizeof(ulong)];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(Payload, value);
        Checksum = StoreDocuments.Checksum(Key, Payload);
    }

    public byte[] Key { get; }

    public byte[] Payload { get; }

    public byte[] Checksum { get; }
}
