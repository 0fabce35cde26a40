namespace StateChannels.Storage.LiteDb;

/// <summary><see cref="ITransactionJournal.PutEntryAsync"/> (with a payload) or <see cref="ITransactionJournal.DeleteEntryAsync"/> (without).</summary>
internal sealed class JournalWrite : PendingWrite
{
    public JournalWrite(string key, byte[]? payload)
    {
        Key = StoreDocuments.JournalKey(key);
        Payload = payload;
        Checksum = payload is null ? null : StoreDocuments.Checksum(Key, payload);
    }

    public byte[] Key { get; }

    /// <summary>The value to store, or null to delete the entry.</summary>
    public byte[]? Payload { get; }

    public byte[]? Checksum { get; }
}
