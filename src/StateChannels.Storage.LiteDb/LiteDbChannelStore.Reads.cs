using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using LiteDB;

namespace StateChannels.Storage.LiteDb;

/// <content>Reads: synchronous LiteDB queries on the caller's thread, verified and decoded.</content>
public sealed partial class LiteDbChannelStore
{
    // Long enumerations read in pages: a LiteDB cursor is bound to its thread, and the consumer
    // of an async enumeration may resume on another one.
    private const int ReadPageSize = 128;
    private const int MaxCursorNameLength = 256;

    /// <summary>The channel's record, or null if unknown. Verified (schema, checksum, id) before it is returned.</summary>
    /// <param name="id">The channel.</param>
    /// <param name="cancellationToken">Cancels before the read starts.</param>
    /// <returns>The record or null.</returns>
    /// <exception cref="StateChannelException"><see cref="ErrorCode.StorageFailure"/> or <see cref="ErrorCode.UnsupportedSchemaVersion"/>.</exception>
    /// <exception cref="ObjectDisposedException">The store is disposed.</exception>
    public ValueTask<ChannelRecord?> GetChannelAsync(ChannelId id, CancellationToken cancellationToken = default) =>
        ReadAsync(() => ReadHistoryVisibly(() => ReadChannel(id, includePending: true)), "read a channel", cancellationToken);

    /// <summary>Every channel record, in no particular order (in fact by id), read in pages.</summary>
    /// <param name="cancellationToken">Cancels the enumeration between records.</param>
    /// <returns>The records.</returns>
    /// <exception cref="StateChannelException"><see cref="ErrorCode.StorageFailure"/> or <see cref="ErrorCode.UnsupportedSchemaVersion"/>.</exception>
    public async IAsyncEnumerable<ChannelRecord> GetChannelsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        byte[]? after = null;
        while (true)
        {
            byte[]? from = after;
            List<(byte[] Key, ChannelRecord Record)> page = await ReadAsync(
                () => ReadHistoryVisibly(() => ReadChannelPage(from)), "read the channels", cancellationToken).ConfigureAwait(false);
            foreach ((byte[] key, ChannelRecord record) in page)
            {
                cancellationToken.ThrowIfCancellationRequested();
                yield return record;
                after = key;
            }

            if (page.Count < ReadPageSize)
            {
                yield break;
            }
        }
    }

    /// <summary>The signed state of a channel at a version, or null if not held. Verified before it is returned.</summary>
    /// <param name="id">The channel.</param>
    /// <param name="version">The version.</param>
    /// <param name="cancellationToken">Cancels before the read starts.</param>
    /// <returns>The state or null.</returns>
    /// <exception cref="StateChannelException"><see cref="ErrorCode.StorageFailure"/> or <see cref="ErrorCode.UnsupportedSchemaVersion"/>.</exception>
    public ValueTask<SignedState?> GetStateAsync(ChannelId id, ulong version, CancellationToken cancellationToken = default) =>
        ReadAsync(() => ReadHistoryVisibly(() => ReadState(id, version)), "read a state", cancellationToken);

    /// <summary>The channel's stored signed states with version at least <paramref name="fromVersion"/>, ascending, read in pages.</summary>
    /// <param name="id">The channel.</param>
    /// <param name="fromVersion">The lowest version to return.</param>
    /// <param name="cancellationToken">Cancels the enumeration between states.</param>
    /// <returns>The states.</returns>
    /// <exception cref="StateChannelException"><see cref="ErrorCode.StorageFailure"/> or <see cref="ErrorCode.UnsupportedSchemaVersion"/>.</exception>
    public async IAsyncEnumerable<SignedState> GetHistoryAsync(
        ChannelId id, ulong fromVersion = 0, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ulong next = fromVersion;
        while (true)
        {
            ulong from = next;
            List<SignedState> page = await ReadAsync(
                () => ReadHistoryVisibly(() => ReadHistoryPage(id, from, ReadPageSize)), "read a history", cancellationToken).ConfigureAwait(false);
            foreach (SignedState state in page)
            {
                cancellationToken.ThrowIfCancellationRequested();
                yield return state;
            }

            if (page.Count < ReadPageSize || page[^1].State.Version == ulong.MaxValue)
            {
                yield break;
            }

            next = page[^1].State.Version + 1;
        }
    }

    /// <summary>A named cursor, or null if never set. Verified before it is returned.</summary>
    /// <param name="name">The cursor's name: 1 to 256 characters.</param>
    /// <param name="cancellationToken">Cancels before the read starts.</param>
    /// <returns>The value or null.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty or too long.</exception>
    /// <exception cref="StateChannelException"><see cref="ErrorCode.StorageFailure"/> or <see cref="ErrorCode.UnsupportedSchemaVersion"/>.</exception>
    public ValueTask<ulong?> GetCursorAsync(string name, CancellationToken cancellationToken = default)
    {
        ValidateCursorName(name);
        return ReadAsync(() => ReadCursor(name), "read a cursor", cancellationToken);
    }

    private static void ValidateCursorName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(name.Length, MaxCursorNameLength, nameof(name));
    }

    private static ChannelRecord DecodeChannel(BsonDocument document, byte[] key, ChannelId expected)
    {
        byte[] payload = StoreDocuments.Verify(document, key, $"record of channel {expected}");
        ChannelRecord record = RecordCodec.DecodeChannel(payload);
        if (record.Id != expected)
        {
            throw StoreDocuments.Corrupt($"record of channel {expected}", $"it holds channel {record.Id}");
        }

        return record;
    }

    private static SignedState DecodeState(BsonDocument document, byte[] key, ChannelId channel, ulong version)
    {
        string what = $"state {version} of channel {channel}";
        byte[] payload = StoreDocuments.Verify(document, key, what);
        SignedState state = RecordCodec.DecodeState(payload);
        if (state.State.ChannelId != channel || state.State.Version != version)
        {
            throw StoreDocuments.Corrupt(what, $"it holds state {state.State.Version} of channel {state.State.ChannelId}");
        }

        return state;
    }

    private ValueTask<T> ReadAsync<T>(Func<T> read, string operation, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<T>(cancellationToken);
        }

        try
        {
            return ValueTask.FromResult(Read(read, operation));
        }
        catch (Exception ex)
        {
            return ValueTask.FromException<T>(ex);
        }
    }

    private T Read<T>(Func<T> read, string operation)
    {
        _lifetime.EnterReadLock();
        try
        {
            ThrowIfUnusable();
            try
            {
                return read();
            }
            catch (Exception ex)
            {
                throw Wrap(ex, operation);
            }
        }
        finally
        {
            _lifetime.ExitReadLock();
        }
    }

    /// <param name="id">The channel.</param>
    /// <param name="includePending">Readers: true (records waiting in memory are the newest). The writer, after flushing them into its transaction: false.</param>
    private ChannelRecord? ReadChannel(ChannelId id, bool includePending)
    {
        byte[] key = StoreDocuments.ChannelKey(id);
        if (includePending && ReadPendingChannel(key) is { } pending)
        {
            return DecodeChannel(StoreDocuments.Create(key, pending.Payload, pending.Checksum), key, id);
        }

        BsonDocument? document = FindById(StoreDocuments.Channels, key);
        return document is null ? null : DecodeChannel(document, key, id);
    }

    private List<(byte[] Key, ChannelRecord Record)> ReadChannelPage(byte[]? after)
    {
        // Records waiting in memory are newer than LiteDB's copies: merged in by key, they win.
        List<EncodedDocument> pending = PendingChannels(after, ReadPageSize);
        var query = new Query { OrderBy = "_id", Limit = ReadPageSize };
        if (after is not null)
        {
            query.Where.Add(StoreDocuments.IdAfter(after));
        }

        var documents = new List<BsonDocument>(ReadPageSize);
        using (IBsonDataReader reader = _engine.Query(StoreDocuments.Channels, query))
        {
            while (reader.Read())
            {
                documents.Add(reader.Current.AsDocument);
            }
        }

        var page = new SortedList<ChannelId, (byte[], ChannelRecord)>(documents.Count + pending.Count, ChannelIdOrder.Instance);
        foreach (BsonDocument document in documents)
        {
            BsonValue id = document["_id"];
            if (!id.IsBinary || id.AsBinary.Length != ChannelId.Length)
            {
                throw StoreDocuments.Corrupt("channel list", "a record has a malformed key");
            }

            byte[] key = id.AsBinary;
            ChannelId channel = ChannelId.FromBytes(key);
            page[channel] = (key, DecodeChannel(document, key, channel));
        }

        foreach (EncodedDocument record in pending)
        {
            ChannelId channel = ChannelId.FromBytes(record.Key);
            page[channel] = (record.Key, DecodeChannel(StoreDocuments.Create(record.Key, record.Payload, record.Checksum), record.Key, channel));
        }

        return [.. page.Values.Take(ReadPageSize)];
    }

    /// <summary>Channel ids in key (byte) order, as LiteDB orders the records.</summary>
    private sealed class ChannelIdOrder : IComparer<ChannelId>
    {
        public static readonly ChannelIdOrder Instance = new();

        public int Compare(ChannelId x, ChannelId y) => x.ToArray().AsSpan().SequenceCompareTo(y.ToArray());
    }

    private SignedState? ReadState(ChannelId id, ulong version)
    {
        byte[] key = StoreDocuments.StateKey(id, version);
        if (ReadPendingState(key) is { } pending)
        {
            return DecodeState(StoreDocuments.Create(key, pending.Payload, pending.Checksum), key, id, version);
        }

        BsonDocument? document = FindById(StoreDocuments.States, key);
        return document is null ? null : DecodeState(document, key, id, version);
    }

    private List<SignedState> ReadHistoryPage(ChannelId id, ulong from, int limit)
    {
        // States still in memory (write-behind) are the newest; merge them in by version. Read
        // before LiteDB: a state the writer moves into LiteDB in between is then seen at least once
        // (it commits it to LiteDB before it drops it from memory).
        List<EncodedDocument> pending = PendingHistory(id, from, limit);
        var query = new Query { OrderBy = "_id", Limit = limit };
        query.Where.Add(StoreDocuments.IdBetween(StoreDocuments.StateKey(id, from), StoreDocuments.StateKey(id, ulong.MaxValue)));
        var documents = new List<BsonDocument>(limit);
        using (IBsonDataReader reader = _engine.Query(StoreDocuments.States, query))
        {
            while (reader.Read())
            {
                documents.Add(reader.Current.AsDocument);
            }
        }

        var page = new SortedList<ulong, SignedState>(documents.Count + pending.Count);
        foreach (BsonDocument document in documents)
        {
            BsonValue key = document["_id"];
            if (!key.IsBinary || key.AsBinary.Length != StoreDocuments.StateKeyLength)
            {
                throw StoreDocuments.Corrupt($"history of channel {id}", "a state has a malformed key");
            }

            ulong version = StoreDocuments.VersionOfStateKey(key.AsBinary);
            page[version] = DecodeState(document, key.AsBinary, id, version);
        }

        foreach (EncodedDocument state in pending)
        {
            page[state.Version] = DecodeState(StoreDocuments.Create(state.Key, state.Payload, state.Checksum), state.Key, id, state.Version);
        }

        return [.. page.Values.Take(limit)];
    }

    private ulong? ReadCursor(string name)
    {
        byte[] key = StoreDocuments.CursorKey(name);
        BsonDocument? document = FindById(StoreDocuments.Cursors, key);
        if (document is null)
        {
            return null;
        }

        byte[] payload = StoreDocuments.Verify(document, key, $"cursor {name}");
        if (payload.Length != sizeof(ulong))
        {
            throw StoreDocuments.Corrupt($"cursor {name}", "its value is not 8 bytes");
        }

        return BinaryPrimitives.ReadUInt64BigEndian(payload);
    }
}
