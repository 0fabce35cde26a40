using LiteDB;

namespace StateChannels.Storage.LiteDb;

/// <content>
/// Write-behind of channel records and history states. A write is durable once its commit log
/// frame is on the device; updating LiteDB's index and pages at once would cost each commit CPU
/// and several pages of LiteDB's log. So records and appended states wait in memory (the pending
/// documents, seen by every read) and go into LiteDB together: in the transaction of a later write
/// once <see cref="LiteDbStoreOptions.HistoryFlushStates"/> states or as many records wait, when
/// the writer has been idle for <see cref="IdleFlushDelay"/>, before a prune or retention deletes
/// history, and before every sync (a sync ends the commit log generation that holds their frames).
/// A record written again while it waits replaces the waiting one, so a busy channel costs LiteDB
/// one update per flush, not one per write. After a crash the commit log replays them like any
/// other change.
/// </content>
public sealed partial class LiteDbChannelStore
{
    /// <summary>How long the writer stays idle before it moves waiting documents into LiteDB.</summary>
    internal static readonly TimeSpan IdleFlushDelay = TimeSpan.FromMilliseconds(100);

    /// <summary>Documents durable in the commit log and not yet in LiteDB, by key. Guarded by <see cref="_pendingGate"/>.</summary>
    private readonly SortedSet<PendingDocument> _pendingStates = new(PendingDocument.ByKey);
    private readonly SortedSet<PendingDocument> _pendingChannels = new(PendingDocument.ByKey);
    private readonly object _pendingGate = new();

    /// <summary>
    /// Makes a batch visible whole: the writer holds it (write) while LiteDB commits a transaction
    /// and its documents join or leave the pending sets; reads of records and history hold it (read)
    /// while they look in memory and in LiteDB. Whoever sees a record then also sees the state
    /// written with it.
    /// </summary>
    private readonly ReaderWriterLockSlim _historyVisibility = new(LockRecursionPolicy.NoRecursion);

    /// <summary>Writer thread: documents written by the transaction in progress (pending once it commits).</summary>
    private readonly SortedSet<PendingDocument> _stagedStates = new(PendingDocument.ByKey);
    private readonly SortedSet<PendingDocument> _stagedChannels = new(PendingDocument.ByKey);

    /// <summary>Writer thread: pending documents the transaction in progress also puts into LiteDB (no longer pending once it commits).</summary>
    private readonly List<PendingDocument> _flushing = [];

    /// <summary>
    /// Writer thread: per channel, a version at or above every state LiteDB may hold for it (read
    /// once from LiteDB, raised as states go in; deletes leave it as it is, an upper bound still).
    /// A new state above it needs no lookup in LiteDB's index to prove that it is new.
    /// </summary>
    private readonly Dictionary<ChannelId, ulong?> _storedStateCeiling = [];

    /// <summary>Writer thread: whether the transaction in progress writes into LiteDB at once (after a flush into it).</summary>
    private bool _writeThrough;

    /// <summary>History states and records waiting in memory (tests).</summary>
    internal (int States, int Channels) PendingDocuments
    {
        get
        {
            lock (_pendingGate)
            {
                return (_pendingStates.Count, _pendingChannels.Count);
            }
        }
    }

    /// <summary>History states waiting in memory (tests).</summary>
    internal int PendingHistoryStates => PendingDocuments.States;

    /// <summary>Writer thread: the stored form of a state still in memory (this transaction's or pending), or null.</summary>
    private EncodedDocument? FindUnflushedState(byte[] key)
    {
        var probe = PendingDocument.Probe(key);
        if (_stagedStates.TryGetValue(probe, out PendingDocument? staged))
        {
            return staged.Document;
        }

        lock (_pendingGate)
        {
            return _pendingStates.TryGetValue(probe, out PendingDocument? pending) ? pending.Document : null;
        }
    }

    /// <summary>Writer thread: whether LiteDB certainly holds no state of the channel at <paramref name="version"/>.</summary>
    private bool CertainlyNotStored(ChannelId id, ulong version)
    {
        if (!_storedStateCeiling.TryGetValue(id, out ulong? ceiling))
        {
            var query = new Query { OrderBy = "_id", Order = LiteDB.Query.Descending, Limit = 1 };
            query.Where.Add(StoreDocuments.IdBetween(StoreDocuments.StateKey(id, 0), StoreDocuments.StateKey(id, ulong.MaxValue)));
            using (IBsonDataReader reader = _engine.Query(StoreDocuments.States, query))
            {
                if (!reader.Read())
                {
                    ceiling = null;
                }
                else if (reader.Current["_id"] is { IsBinary: true } key && key.AsBinary.Length == StoreDocuments.StateKeyLength)
                {
                    ceiling = StoreDocuments.VersionOfStateKey(key.AsBinary);
                }
                else
                {
                    ceiling = ulong.MaxValue; // a malformed key: look every state up
                }
            }

            _storedStateCeiling[id] = ceiling;
        }

        return ceiling is null || version > ceiling.Value;
    }

    /// <summary>Writer thread: states of these keys may now be in LiteDB.</summary>
    private void RaiseStoredCeiling(IEnumerable<byte[]> stateKeys)
    {
        foreach (byte[] key in stateKeys)
        {
            ChannelId id = ChannelId.FromBytes(key.AsSpan(0, ChannelId.Length));
            ulong version = StoreDocuments.VersionOfStateKey(key);
            if (_storedStateCeiling.TryGetValue(id, out ulong? ceiling) && (ceiling is null || ceiling.Value < version))
            {
                _storedStateCeiling[id] = version;
            }
        }
    }

    /// <summary>Readers: a waiting document, or null.</summary>
    private EncodedDocument? ReadPending(SortedSet<PendingDocument> set, byte[] key)
    {
        lock (_pendingGate)
        {
            return set.TryGetValue(PendingDocument.Probe(key), out PendingDocument? pending) ? pending.Document : null;
        }
    }

    private EncodedDocument? ReadPendingState(byte[] key) => ReadPending(_pendingStates, key);

    private EncodedDocument? ReadPendingChannel(byte[] key) => ReadPending(_pendingChannels, key);

    /// <summary>Appends a state: staged in memory, or into LiteDB at once while the transaction writes through.</summary>
    private void AppendState(EncodedDocument state)
    {
        _redo.RecordPut(StoreDocuments.States, state.Key, state.Payload, state.Checksum);
        if (_writeThrough)
        {
            _engine.Insert(StoreDocuments.States, [StoreDocuments.Create(state.Key, state.Payload, state.Checksum)], BsonAutoId.ObjectId);
            RaiseStoredCeiling([state.Key]);
            return;
        }

        _stagedStates.Add(new PendingDocument(state.Key, state));
    }

    /// <summary>Puts a channel record: staged in memory (replacing an earlier one of the transaction), or into LiteDB at once while the transaction writes through.</summary>
    private void PutChannel(EncodedDocument channel)
    {
        if (_writeThrough)
        {
            Put(StoreDocuments.Channels, channel.Key, channel.Payload, channel.Checksum);
            return;
        }

        _redo.RecordPut(StoreDocuments.Channels, channel.Key, channel.Payload, channel.Checksum);
        var entry = new PendingDocument(channel.Key, channel);
        _stagedChannels.Remove(entry);
        _stagedChannels.Add(entry);
    }

    /// <summary>
    /// Writer thread, inside a transaction: puts every waiting document into LiteDB in it, and
    /// writes through for the rest of it (a delete of history, or a read of records by the writer,
    /// must see everything).
    /// </summary>
    private void FlushHistoryIntoTransaction()
    {
        List<PendingDocument> states, channels;
        lock (_pendingGate)
        {
            states = [.. _pendingStates];
            channels = [.. _pendingChannels];
        }

        InsertStates(states.Concat(_stagedStates));
        RaiseStoredCeiling(states.Concat(_stagedStates).Select(p => p.Key));
        Upsert(StoreDocuments.Channels, channels.Concat(_stagedChannels));
        _flushing.AddRange(states);
        _flushing.AddRange(channels);
        _stagedStates.Clear();
        _stagedChannels.Clear();
        _writeThrough = true;

        void Upsert(string collection, IEnumerable<PendingDocument> documents)
        {
            List<BsonDocument> list = [.. documents.Select(p => StoreDocuments.Create(p.Key, p.Document.Payload, p.Document.Checksum))];
            if (list.Count > 0)
            {
                _engine.Upsert(collection, list, BsonAutoId.ObjectId);
            }
        }

        // Waiting states are appends: each was found absent from LiteDB when it was written, and
        // only this flush puts waiting states into LiteDB. An insert walks LiteDB's index once, an
        // upsert twice (find, then insert), and the walk is most of a state's cost in LiteDB
        // (measured: ~38 KB of index-node garbage per state). Should one be there after all, the
        // upsert puts them all, as before (the same documents: idempotent).
        void InsertStates(IEnumerable<PendingDocument> documents)
        {
            List<BsonDocument> list = [.. documents.Select(p => StoreDocuments.Create(p.Key, p.Document.Payload, p.Document.Checksum))];
            if (list.Count == 0)
            {
                return;
            }

            try
            {
                _engine.Insert(StoreDocuments.States, list, BsonAutoId.ObjectId);
            }
            catch (LiteException ex) when (ex.ErrorCode == LiteException.INDEX_DUPLICATE_KEY)
            {
                _engine.Upsert(StoreDocuments.States, list, BsonAutoId.ObjectId);
            }
        }
    }

    /// <summary>Writer thread, when a transaction begins: flushes waiting documents into it when enough wait (or history is written through).</summary>
    private void BeginHistory()
    {
        _stagedStates.Clear();
        _stagedChannels.Clear();
        _flushing.Clear();
        _writeThrough = false;
        bool due;
        lock (_pendingGate)
        {
            due = _pendingStates.Count >= _options.HistoryFlushStates || _pendingChannels.Count >= _options.HistoryFlushStates;
        }

        if (due || _options.HistoryRetention is not null)
        {
            FlushHistoryIntoTransaction();
        }
    }

    /// <summary>Writer thread, once LiteDB committed the transaction: its staged documents become pending; the ones it flushed stop being.</summary>
    private void CommitHistory()
    {
        lock (_pendingGate)
        {
            foreach (PendingDocument flushed in _flushing)
            {
                // Only the very entry that was flushed: a record may have been replaced since.
                SortedSet<PendingDocument> set = flushed.Key.Length == ChannelId.Length ? _pendingChannels : _pendingStates;
                if (set.TryGetValue(flushed, out PendingDocument? current) && ReferenceEquals(current, flushed))
                {
                    set.Remove(flushed);
                }
            }

            _pendingStates.UnionWith(_stagedStates);
            foreach (PendingDocument channel in _stagedChannels)
            {
                _pendingChannels.Remove(channel);
                _pendingChannels.Add(channel);
            }
        }

        _stagedStates.Clear();
        _stagedChannels.Clear();
        _flushing.Clear();
    }

    /// <summary>Writer thread, when the transaction rolled back.</summary>
    private void AbandonHistory()
    {
        _stagedStates.Clear();
        _stagedChannels.Clear();
        _flushing.Clear();
        _writeThrough = false;
    }

    /// <summary>Writer thread or an owner of the store (sync, idle): moves every waiting document into LiteDB in a transaction of its own.</summary>
    private void FlushHistory()
    {
        lock (_pendingGate)
        {
            if (_pendingStates.Count == 0 && _pendingChannels.Count == 0)
            {
                return;
            }
        }

        _engine.BeginTrans();
        try
        {
            _stagedStates.Clear();
            _stagedChannels.Clear();
            _flushing.Clear();
            FlushHistoryIntoTransaction();
        }
        catch
        {
            AbandonHistory();
            TryRollback();
            throw;
        }

        CommitVisibly();
        _writeThrough = false;
    }

    /// <summary>Writer thread, idle for <see cref="IdleFlushDelay"/>: frees the memory waiting documents hold. A failure faults the store (nothing is lost).</summary>
    private void OnWriterIdle()
    {
        if (_fault is not null)
        {
            return;
        }

        try
        {
            FlushHistory();
        }
        catch (Exception ex)
        {
            _fault ??= ex;
        }
    }

    /// <summary>Writer thread: commits LiteDB's transaction and publishes what it changed in memory as one step for readers.</summary>
    private void CommitVisibly()
    {
        _historyVisibility.EnterWriteLock();
        try
        {
            _engine.Commit();
            CommitHistory();
        }
        finally
        {
            _historyVisibility.ExitWriteLock();
        }
    }

    /// <summary>Readers: runs <paramref name="read"/> while no commit changes what is where.</summary>
    private T ReadHistoryVisibly<T>(Func<T> read)
    {
        _historyVisibility.EnterReadLock();
        try
        {
            return read();
        }
        finally
        {
            _historyVisibility.ExitReadLock();
        }
    }

    /// <summary>Readers: waiting states of <paramref name="id"/> from <paramref name="from"/> on, ascending, at most <paramref name="limit"/>.</summary>
    private List<EncodedDocument> PendingHistory(ChannelId id, ulong from, int limit)
    {
        var lower = PendingDocument.Probe(StoreDocuments.StateKey(id, from));
        var upper = PendingDocument.Probe(StoreDocuments.StateKey(id, ulong.MaxValue));
        lock (_pendingGate)
        {
            return _pendingStates.Count == 0 ? [] : [.. _pendingStates.GetViewBetween(lower, upper).Take(limit).Select(p => p.Document)];
        }
    }

    /// <summary>Readers: waiting records with a key above <paramref name="after"/> (all if null), ascending, at most <paramref name="limit"/>.</summary>
    private List<EncodedDocument> PendingChannels(byte[]? after, int limit)
    {
        lock (_pendingGate)
        {
            if (_pendingChannels.Count == 0
                || (after is not null && PendingDocument.ByKey.Compare(PendingDocument.Probe(after), _pendingChannels.Max!) >= 0))
            {
                return [];
            }

            IEnumerable<PendingDocument> above = after is null
                ? _pendingChannels
                : _pendingChannels.GetViewBetween(PendingDocument.Probe(after), _pendingChannels.Max!).Where(p => p.Key.AsSpan().SequenceCompareTo(after) > 0);
            return [.. above.Take(limit).Select(p => p.Document)];
        }
    }

    /// <summary>A document in memory, ordered by its key.</summary>
    private sealed class PendingDocument(byte[] key, EncodedDocument? document)
    {
        public static readonly IComparer<PendingDocument> ByKey = Comparer<PendingDocument>.Create(
            static (a, b) => a.Key.AsSpan().SequenceCompareTo(b.Key));

        public byte[] Key { get; } = key;

        public EncodedDocument Document => document!;

        public static PendingDocument Probe(byte[] key) => new(key, null);
    }
}
