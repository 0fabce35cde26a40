using System.Buffers;
using System.Buffers.Binary;
using LiteDB;
using LiteDB.Engine;

namespace StateChannels.Storage.LiteDb;

/// <summary>
/// The document changes of one LiteDB transaction, as the store made them: the payload of a
/// <see cref="CommitLog"/> frame. Each change is physical and idempotent (put a document, delete
/// one, delete a key range), so replaying a generation's records in order on top of any state the
/// data file can hold (see <see cref="LiteDbChannelStore"/>) gives the state after the last one.
/// <para>Encoding, per change: <c>op u8 | collection u8 | ...</c>; put: <c>key | payload | checksum</c>;
/// delete: <c>key</c>; delete range: <c>first | last</c>; each byte string as <c>length u32 | bytes</c>.</para>
/// </summary>
internal sealed class RedoRecord
{
    private const byte Put = 1;
    private const byte Delete = 2;
    private const byte DeleteRange = 3;

    private static readonly string[] Collections =
        [StoreDocuments.Channels, StoreDocuments.States, StoreDocuments.Cursors, StoreDocuments.Journal];

    private readonly ArrayBufferWriter<byte> _buffer = new(4096);

    /// <summary>The changes recorded since the last <see cref="Clear"/>.</summary>
    public ReadOnlySpan<byte> Bytes => _buffer.WrittenSpan;

    public bool IsEmpty => _buffer.WrittenCount == 0;

    public void Clear() => _buffer.ResetWrittenCount();

    public void RecordPut(string collection, byte[] key, byte[] payload, byte[] checksum)
    {
        Header(Put, collection);
        WriteBytes(key);
        WriteBytes(payload);
        WriteBytes(checksum);
    }

    public void RecordDelete(string collection, byte[] key)
    {
        Header(Delete, collection);
        WriteBytes(key);
    }

    public void RecordDeleteRange(string collection, byte[] first, byte[] last)
    {
        Header(DeleteRange, collection);
        WriteBytes(first);
        WriteBytes(last);
    }

    /// <summary>Applies a record's changes to <paramref name="engine"/> inside the caller's transaction.</summary>
    /// <exception cref="StateChannelException"><see cref="ErrorCode.StorageFailure"/>: the record does not decode.</exception>
    public static void Replay(ILiteEngine engine, ReadOnlySpan<byte> record)
    {
        int at = 0;
        while (at < record.Length)
        {
            byte op = Take(record, ref at, 1)[0];
            string collection = CollectionOf(Take(record, ref at, 1)[0]);
            switch (op)
            {
                case Put:
                    byte[] key = TakeBytes(record, ref at);
                    byte[] payload = TakeBytes(record, ref at);
                    byte[] checksum = TakeBytes(record, ref at);
                    engine.Upsert(collection, [StoreDocuments.Create(key, payload, checksum)], BsonAutoId.ObjectId);
                    break;
                case Delete:
                    engine.Delete(collection, [new BsonValue(TakeBytes(record, ref at))]);
                    break;
                case DeleteRange:
                    byte[] first = TakeBytes(record, ref at);
                    byte[] last = TakeBytes(record, ref at);
                    engine.DeleteMany(collection, StoreDocuments.IdBetween(first, last));
                    break;
                default:
                    throw Undecodable($"unknown change {op}");
            }
        }
    }

    private static string CollectionOf(byte code) =>
        code < Collections.Length ? Collections[code] : throw Undecodable($"unknown collection {code}");

    private static ReadOnlySpan<byte> Take(ReadOnlySpan<byte> record, ref int at, int count)
    {
        if (count < 0 || record.Length - at < count)
        {
            throw Undecodable("it ends inside a change");
        }

        ReadOnlySpan<byte> taken = record.Slice(at, count);
        at += count;
        return taken;
    }

    private static byte[] TakeBytes(ReadOnlySpan<byte> record, ref int at) =>
        Take(record, ref at, BinaryPrimitives.ReadInt32BigEndian(Take(record, ref at, 4))).ToArray();

    private static StateChannelException Undecodable(string why) =>
        StoreDocuments.Corrupt("commit log", $"a checksummed frame does not decode ({why})");

    private void Header(byte op, string collection)
    {
        int code = Array.IndexOf(Collections, collection);
        if (code < 0)
        {
            throw new InvalidOperationException($"The commit log does not record collection {collection}.");
        }

        Span<byte> span = _buffer.GetSpan(2);
        span[0] = op;
        span[1] = (byte)code;
        _buffer.Advance(2);
    }

    private void WriteBytes(byte[] value)
    {
        Span<byte> span = _buffer.GetSpan(4 + value.Length);
        BinaryPrimitives.WriteInt32BigEndian(span, value.Length);
        value.CopyTo(span[4..]);
        _buffer.Advance(4 + value.Length);
    }
}
