using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using LiteDB;

namespace StateChannels.Storage.LiteDb;

/// <summary>
/// The document layout of the store. Every stored document is
/// <c>{ _id, schema, payload, sha256 }</c>: <c>schema</c> is the layout version of the document
/// (<see cref="SchemaVersion"/>; readers refuse newer ones), <c>payload</c> the bytes of
/// <see cref="RecordCodec"/> (which carry their own schema version), and <c>sha256</c> the SHA-256
/// of the key bytes followed by the payload, so a flipped bit or a document moved to another key
/// is detected on read.
/// <list type="table">
/// <item><term>channels</term><description><c>_id</c> = the 32-byte channel id.</description></item>
/// <item><term>states</term><description><c>_id</c> = the 32-byte channel id followed by the version as 8 big-endian
/// bytes: the primary key is the unique (channel, version) index, and its byte order is version order.</description></item>
/// <item><term>cursors</term><description><c>_id</c> = the cursor's name in UTF-8 bytes (binary, because LiteDB compares
/// strings case-insensitively by default); payload = the value as 8 big-endian bytes.</description></item>
/// <item><term>journal</term><description><c>_id</c> = the <see cref="ITransactionJournal"/> key in UTF-8 bytes; payload = the
/// entry's bytes (opaque to the store; the chain adapter's codec carries its own schema version).</description></item>
/// <item><term>meta</term><description>one document, <c>_id</c> = "store", whose schema is the store's.</description></item>
/// </list>
/// </summary>
internal static class StoreDocuments
{
    /// <summary>The document layout this library writes. Readers refuse newer ones.</summary>
    public const int SchemaVersion = 1;

    /// <summary>The store's own layout (the meta document): 2 since writes are made durable through the commit log.</summary>
    public const int StoreSchemaVersion = 2;

    public const string Channels = "channels";
    public const string States = "states";
    public const string Cursors = "cursors";
    public const string Journal = "journal";
    public const string Meta = "meta";
    public const string MetaId = "store";

    /// <summary>LiteDB 5's page size.</summary>
    public const int PageSize = 8192;

    public const int StateKeyLength = ChannelId.Length + sizeof(ulong);

    private const string SchemaField = "schema";
    private const string PayloadField = "payload";
    private const string ChecksumField = "sha256";

    // Key predicates with the key as a parameter: LiteDB's Query.EQ and friends print the value
    // into the expression text, so every call parses and compiles a new expression (~0.7 ms);
    // a constant text is compiled once and cached.
    public static BsonExpression IdEquals(BsonValue id) => BsonExpression.Create("_id = @0", id);

    public static BsonExpression IdAfter(BsonValue id) => BsonExpression.Create("_id > @0", id);

    public static BsonExpression IdBetween(BsonValue first, BsonValue last) => BsonExpression.Create("_id BETWEEN @0 AND @1", first, last);

    public static byte[] ChannelKey(ChannelId id) => id.ToArray();

    public static byte[] StateKey(ChannelId id, ulong version)
    {
        var key = new byte[StateKeyLength];
        id.WriteTo(key);
        BinaryPrimitives.WriteUInt64BigEndian(key.AsSpan(ChannelId.Length), version);
        return key;
    }

    public static byte[] CursorKey(string name) => Encoding.UTF8.GetBytes(name);

    public static byte[] JournalKey(string key) => Encoding.UTF8.GetBytes(key);

    public static ulong VersionOfStateKey(ReadOnlySpan<byte> key) =>
        BinaryPrimitives.ReadUInt64BigEndian(key[ChannelId.Length..]);

    /// <summary>SHA-256 of the key followed by the payload (hashed in one call: no hash object per document).</summary>
    public static byte[] Checksum(ReadOnlySpan<byte> key, ReadOnlySpan<byte> payload)
    {
        int length = key.Length + payload.Length;
        byte[]? rented = length > 1024 ? System.Buffers.ArrayPool<byte>.Shared.Rent(length) : null;
        Span<byte> joined = rented is null ? stackalloc byte[1024] : rented;
        try
        {
            key.CopyTo(joined);
            payload.CopyTo(joined[key.Length..]);
            return SHA256.HashData(joined[..length]);
        }
        finally
        {
            if (rented is not null)
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    public static BsonDocument Create(BsonValue id, byte[] payload, byte[] checksum) => new()
    {
        ["_id"] = id,
        [SchemaField] = SchemaVersion,
        [PayloadField] = payload,
        [ChecksumField] = checksum,
    };

    /// <summary>The raw payload of a stored document, without verification (conflict checks compare it).</summary>
    public static byte[]? RawPayload(BsonDocument document) =>
        document.TryGetValue(PayloadField, out BsonValue value) && value.IsBinary ? value.AsBinary : null;

    /// <summary>
    /// Checks the document's schema and checksum and returns its payload.
    /// </summary>
    /// <exception cref="StateChannelException">
    /// <see cref="ErrorCode.UnsupportedSchemaVersion"/> for a newer layout;
    /// <see cref="ErrorCode.StorageFailure"/> for a malformed document or a checksum mismatch.
    /// </exception>
    public static byte[] Verify(BsonDocument document, ReadOnlySpan<byte> key, string what)
    {
        if (!document.TryGetValue(SchemaField, out BsonValue schema) || !schema.IsInt32)
        {
            throw Corrupt(what, "it has no schema version");
        }

        if (schema.AsInt32 > SchemaVersion)
        {
            throw new StateChannelException(
                ErrorCode.UnsupportedSchemaVersion,
                $"The stored {what} has document schema {schema.AsInt32}; this library reads up to {SchemaVersion}.");
        }

        if (schema.AsInt32 < 1)
        {
            throw Corrupt(what, $"its schema version {schema.AsInt32} is invalid");
        }

        byte[]? payload = RawPayload(document);
        if (payload is null
            || !document.TryGetValue(ChecksumField, out BsonValue checksum)
            || !checksum.IsBinary
            || !CryptographicOperations.FixedTimeEquals(checksum.AsBinary, Checksum(key, payload)))
        {
            throw Corrupt(what, "its checksum does not match its content");
        }

        return payload;
    }

    public static StateChannelException Corrupt(string what, string why) =>
        new(ErrorCode.StorageFailure, $"The stored {what} is corrupt: {why}.");
}
