using LiteDB;

namespace StateChannels.Storage.LiteDb.Tests;

/// <summary>Direct access to a closed store's file with plain LiteDB, as another program (or a bad disk) would change it.</summary>
internal static class RawLiteDb
{
    public static void Edit(string path, string collection, BsonValue id, Action<BsonDocument> edit)
    {
        using var db = new LiteDatabase(new ConnectionString { Filename = path, Connection = ConnectionType.Direct }, new BsonMapper());
        ILiteCollection<BsonDocument> documents = db.GetCollection(collection);
        BsonDocument document = documents.FindById(id) ?? throw new InvalidOperationException($"No document {id} in {collection}.");
        edit(document);
        Assert.True(documents.Update(document));

        // Into the data file, as damage at rest would be: the store drops LiteDB's log on open
        // unless its commit log says the log is whole (only the store writes this file).
        db.Checkpoint();
    }

    /// <summary>Flips one bit in the payload of a document, leaving its checksum as it was.</summary>
    public static void FlipPayloadBit(string path, string collection, BsonValue id) =>
        Edit(path, collection, id, document =>
        {
            byte[] payload = document["payload"].AsBinary.ToArray();
            payload[payload.Length / 2] ^= 0x04;
            document["payload"] = payload;
        });

    /// <summary>Replaces the payload of a document and recomputes its checksum.</summary>
    public static void RewritePayload(string path, string collection, byte[] key, Func<byte[], byte[]> rewrite) =>
        Edit(path, collection, key, document =>
        {
            byte[] payload = rewrite(document["payload"].AsBinary);
            document["payload"] = payload;
            document["sha256"] = StoreDocuments.Checksum(key, payload);
        });
}
