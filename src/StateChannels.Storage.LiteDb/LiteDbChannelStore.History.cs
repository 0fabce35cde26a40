using LiteDB;

namespace StateChannels.Storage.LiteDb;

/// <content>
/// History write-behind. A state appended to the history is durable once the commit log frame of
/// its write is on the device; inserting it into LiteDB's history index at once would cost each
/// commit several more pages of LiteDB's log (the index's skip list and the data page). So new
/// history states wait in memory (<see cref="_pending"/>, readable by every read) and go into
/// LiteDB together: in the transaction of a later write once <see cref="LiteDbStoreOptions.HistoryFlushStates"/>
/// wait, before a prune or retention deletes history, and before every sync (a sync ends the commit
/// log generation that holds their frames). After a crash the commit log replays them like any
/// other change.
/// </content>
public sealed partial class LiteDbChannelStore
{
    /// <summary>History states durable in the commit log and not yet in LiteDB, by key (channel, version). Guarded by <see cref="_pendingGate"/>.</summary>
    private readonly SortedSet<PendingState> _pending = new(PendingState.ByKey);
    private readonly object _pendingGate = new();

    /// <summary>
    /// Makes a batch visible whole: the writer holds it (write) while LiteDB commits a transaction
    /// and its states join or leave <see cref="_pending"/>; history reads hold it (read) while they
    /// look in memory and in LiteDB. Whoever sees a record then also sees the state written with it.
    /// </summary>
    private readonly ReaderWriterLockSlim _historyVisibility = new(LockRecursionPolicy.NoRecursion);

    /// <summary>Writer thread: states appended by the transaction in progress (become pending when it commits).</summary>
    private readonly SortedSet<PendingState> _staged = new(PendingState.ByKey);

    /// <summary>Writer thread: whether the transaction in progress inserts history into LiteDB at once (after a flush into it).</summary>
    private bool _writeThrough;

    /// <summary>Writer thread: pending states the transaction in progress also inserts into LiteDB (leave pending when it commits).</summary>
    private readonly List<PendingState> _flushing = [];

    /// <summary>History states waiting in memory (tests).</summary>
    internal int PendingHistoryStates
    {
        get
        {
            lock (_pendingGate)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>The stored document of a state still in memory (this transaction's or pending), or null.</summary>
    private EncodedDocument? FindUnflushedState(byte[] key)
    {
        var probe = PendingState.Probe(key);
        if (_staged.TryGetValue(probe, out PendingState? staged))
        {
            return staged.Document;
        }

        lock (_pendingGate)
        {
            return _pending.TryGetValue(probe, out PendingState? pending) ? pending.Document : null;
        }
    }

    /// <summary>Readers: a pending state's document, or null.</summary>
    private EncodedDocument? ReadPendingState(byte[] key)
    {
        lock (_pendingGate)
        {
            return _pending.TryGetValue(PendingState.Probe(key), out PendingState? pending) ? pending.Document : null;
        }
    }

    /// <summary>Appends a state: staged in memory (write-behind), or into LiteDB at once while the transaction writes history through.</summary>
    private void AppendState(EncodedDocument state)
    {
        _redo.RecordPut(StoreDocuments.States, state.Key, state.Payload, state.Checksum);
        if (_writeThrough)
        {
            _engine.Insert(StoreDocuments.States, [StoreDocuments.Create(state.Key, state.Payload, state.Checksum)], BsonAutoId.ObjectId);
            return;
        }

        _staged.Add(new PendingState(state.Key, state));
    }

    /// <summary>
    /// Writer thread, inside a transaction: inserts every unflushed state into LiteDB in it, and
    /// writes history through for the rest of it (a delete of history must see every state).
    /// </summary>
    private void FlushHistoryIntoTransaction()
    {
        List<PendingState> pending;
        lock (_pendingGate)
        {
            pending = [.. _pending];
        }

        IEnumerable<PendingState> all = pending.Concat(_staged);
        if (pending.Count + _staged.Count > 0)
        {
            _engine.Upsert(StoreDocuments.States, all.Select(p => StoreDocuments.Create(p.Key, p.Document.Payload, p.Document.Checksum)), BsonAutoId.ObjectId);
        }

        _flushing.AddRange(pending);
        _staged.Clear();
        _writeThrough = true;
    }

    /// <summary>Writer thread, when a transaction begins.</summary>
    private void BeginHistory()
    {
        _staged.Clear();
        _flushing.Clear();
        _writeThrough = _options.HistoryRetention is not null;
        bool due;
        lock (_pendingGate)
        {
            due = _pending.Count >= _options.HistoryFlushStates;
        }

        if (due || _writeThrough)
        {
            FlushHistoryIntoTransaction();
        }
    }

    /// <summary>Writer thread, once LiteDB committed the transaction: its states become pending; the ones it flushed stop being.</summary>
    private void CommitHistory()
    {
        lock (_pendingGate)
        {
            foreach (PendingState flushed in _flushing)
            {
                _pending.Remove(flushed);
            }

            _pending.UnionWith(_staged);
        }

        _staged.Clear();
        _flushing.Clear();
    }

    /// <summary>Writer thread, when the transaction rolled back.</summary>
    private void AbandonHistory()
    {
        _staged.Clear();
        _flushing.Clear();
    }

    /// <summary>Writer thread or an owner of the store (sync): moves every pending state into LiteDB in a transaction of its own.</summary>
    private void FlushHistory()
    {
        lock (_pendingGate)
        {
            if (_pending.Count == 0)
            {
                return;
            }
        }

        _engine.BeginTrans();
        try
        {
            BeginHistory();
            FlushHistoryIntoTransaction();
        }
        catch
        {
            AbandonHistory();
            TryRollback();
            throw;
        }

        CommitVisibly();
    }

    /// <summary>Writer thread: commits LiteDB's transaction and publishes its history changes as one step for readers.</summary>
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

    /// <summary>Readers: runs <paramref name="read"/> while no commit changes what history is where.</summary>
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

    /// <summary>Pending states of <paramref name="id"/> from <paramref name="from"/> on, ascending, at most <paramref name="limit"/>.</summary>
    private List<EncodedDocument> PendingHistory(ChannelId id, ulong from, int limit)
    {
        var lower = PendingState.Probe(StoreDocuments.StateKey(id, from));
        var upper = PendingState.Probe(StoreDocuments.StateKey(id, ulong.MaxValue));
        lock (_pendingGate)
        {
            if (_pending.Count == 0)
            {
                return [];
            }

            return [.. _pending.GetViewBetween(lower, upper).Take(limit).Select(p => p.Document)];
        }
    }

    /// <summary>A history state in memory, ordered by its key (channel id, then big-endian version).</summary>
    private sealed class PendingState(byte[] key, EncodedDocument? document)
    {
        public static readonly IComparer<PendingState> ByKey = Comparer<PendingState>.Create(
            static (a, b) => a.Key.AsSpan().SequenceCompareTo(b.Key));

        public byte[] Key { get; } = key;

        public EncodedDocument Document => document!;

        public static PendingState Probe(byte[] key) => new(key, null);
    }
}
