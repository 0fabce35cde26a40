using LiteDB;
using LiteDB.Engine;

namespace StateChannels.Storage.LiteDb;

/// <summary>
/// <see cref="IChannelStore"/> on one LiteDB 5 file per client.
/// <para>Durability: <see cref="WriteAsync"/>, <see cref="SetCursorAsync"/> and
/// <see cref="PruneHistoryAsync"/> return only after their LiteDB transaction is on the device
/// (fsync'd), which LiteDB 5 does not do by itself: the store writes through its own streams,
/// makes every transaction's pages durable before its commit record, and waits for the commit
/// record to be durable before it acknowledges. A power loss at any moment leaves each write
/// either whole or absent.</para>
/// <para>Concurrency: every member is thread-safe. One dedicated writer thread applies all
/// writes; writes queued while it is busy are applied together in one transaction with one
/// durable commit (group commit), each batch staying atomic and validated on its own. Reads run
/// on the caller's thread and see committed writes only.</para>
/// <para>Integrity: every record is stored as <see cref="RecordCodec"/> bytes with a schema
/// version and a SHA-256 checksum, verified on every read. A corrupt or unreadable file or record
/// throws <see cref="StateChannelException"/> with <see cref="ErrorCode.StorageFailure"/>, a
/// record of a newer schema <see cref="ErrorCode.UnsupportedSchemaVersion"/>; wrong data is
/// never returned. After a failed commit the store is faulted: every later call throws
/// <see cref="ErrorCode.StorageFailure"/>, and the file should be reopened.</para>
/// <para>The file is held exclusively until <see cref="DisposeAsync"/>.</para>
/// </summary>
public sealed partial class LiteDbChannelStore : IChannelStore
{
    private readonly LiteDbStoreOptions _options;
    private readonly LiteEngine _engine;
    private readonly DurableStream _data;
    private readonly DurableStream _log;
    private readonly Stream _commitFile;
    private Timer? _logFlusher;
    private readonly RedoRecord _redo = new();
    private readonly GroupCommitQueue _writer;
    private readonly ReaderWriterLockSlim _lifetime = new(LockRecursionPolicy.NoRecursion);
    private readonly TaskCompletionSource _disposed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile Exception? _fault;
    private int _disposeStarted;
    private bool _closed;
    private long _commits;
    private long _syncs;
    private long _syncTicks;
    private long _longestSyncTicks;

    /// <summary>The commit log once the store is open (null only while it opens).</summary>
    private CommitLog? _commitLog;

    /// <summary>LiteDB's virtual log length read directly (see <see cref="LogLengthProbe"/>); null: use the <c>$database</c> query.</summary>
    private Func<long>? _logLength;

    private LiteDbChannelStore(string path, LiteDbStoreOptions options, LiteEngine engine, DurableStream data, DurableStream log, Stream commitFile)
    {
        Path = path;
        _options = options;
        _engine = engine;
        _data = data;
        _log = log;
        _commitFile = commitFile;
        _writer = new GroupCommitQueue(
            "StateChannels.LiteDb writer", options.MaxOperationsPerCommit, ApplyGroup, ex => Wrap(ex, "write"), OnWriterIdle, IdleFlushDelay);
    }

    /// <summary>The full path of the database file (LiteDB's log lives beside it as <c>name-log.ext</c>).</summary>
    public string Path { get; }

    /// <summary>Whether the log length after a commit is read directly rather than queried (tests).</summary>
    internal bool ReadsLogLengthDirectly => _logLength is not null;

    /// <summary>The log length read both ways (tests: they must agree whenever the writer is idle).</summary>
    internal (long Direct, long Queried) LogLengths() => (_logLength?.Invoke() ?? -1, QueryLogLength());

    /// <summary>LiteDB transactions committed by the writer since open (tests: group commit).</summary>
    internal long Commits => Interlocked.Read(ref _commits);

    /// <summary>Syncs (LiteDB's log flushed and checkpointed, a new commit log generation) since open (tests).</summary>
    internal long Syncs => Interlocked.Read(ref _syncs);

    /// <summary>Time the writer spent in syncs since open, and the longest one (benchmarks: the stall a sync causes).</summary>
    internal (TimeSpan Total, TimeSpan Longest) SyncTime => (TimeSpan.FromTicks(Interlocked.Read(ref _syncTicks)), TimeSpan.FromTicks(Interlocked.Read(ref _longestSyncTicks)));

    /// <summary>
    /// Opens the store in <paramref name="path"/>, creating the file if it does not exist, and
    /// replays any transactions LiteDB's log holds from before a crash.
    /// </summary>
    /// <param name="path">The database file, e.g. <c>wallet.db</c>; its directory must exist.</param>
    /// <param name="options">Options; null for the defaults.</param>
    /// <returns>The open store. Dispose it to release the file.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty, or an option is out of range.</exception>
    /// <exception cref="StateChannelException">
    /// <see cref="ErrorCode.StorageFailure"/>: the file is in use by another store, unreadable or corrupt;
    /// <see cref="ErrorCode.UnsupportedSchemaVersion"/>: it was written by a newer version of this library.
    /// </exception>
    public static LiteDbChannelStore Open(string path, LiteDbStoreOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        LiteDbStoreOptions validated = (options ?? new LiteDbStoreOptions()).Validated();
        string fullPath = System.IO.Path.GetFullPath(path);
        Func<string, Stream> openFile = validated.FileOpener ?? StoreFiles.OpenExclusive;

        Stream? rawData = null;
        Stream? rawLog = null;
        Stream? rawCommits = null;
        DurableStream? log = null;
        DurableStream? data = null;
        LiteEngine? engine = null;
        CommitLog? commitLog = null;
        try
        {
            // The data file first: it carries the exclusive lock a second store trips on.
            rawData = openFile(fullPath);
            rawLog = openFile(StoreFiles.LogPathOf(fullPath));
            rawCommits = openFile(StoreFiles.CommitLogPathOf(fullPath));
            CheckLengths(rawData.Length, rawLog.Length);
            bool recovering = CommitLog.TryOpen(rawCommits, out commitLog, out CommitLog.Recovery recovery);
            if (recovering && rawData.Length == 0)
            {
                throw StoreDocuments.Corrupt("database file", "it is empty while its commit log is not");
            }

            if (recovering && !recovery.EndsSynced && rawLog.Length > 0)
            {
                // LiteDB's log was not flushed since the last sync, so after a power loss it may be
                // torn. Everything acknowledged since that sync is in the commit log: drop the log
                // (the data file holds the state as of the sync) and replay the commit log instead.
                rawLog.SetLength(0);
                DeviceFlush.Flush(rawLog);
            }

            log = new DurableStream(rawLog, isLog: true, writeAheadLog: null);
            data = new DurableStream(rawData, isLog: false, writeAheadLog: log)
            {
                // A log that ends synced is whole: LiteDB may replay it into the data file as it opens.
                WritesAllowed = !recovering || recovery.EndsSynced,
            };
            log.AttachDataFile(data);
            engine = new LiteEngine(new EngineSettings
            {
                DataStream = data,
                LogStream = log,

                // Never let LiteDB "repair" a damaged file by rebuilding it: that can drop records silently.
                AutoRebuild = false,
                Upgrade = false,
            });

            var store = new LiteDbChannelStore(fullPath, validated, engine, data, log, rawCommits);
            store.Initialize();
            store.Recover(commitLog, recovery);
            store._writer.Start();
            store.StartLogFlusher();
            return store;
        }
        catch (Exception ex)
        {
            if (data is not null)
            {
                data.WritesAllowed = false;
            }

            try
            {
                engine?.Dispose();
            }
            catch (Exception)
            {
                // The open already failed; the original error is the one to report.
            }

            (data ?? rawData)?.Dispose();
            (log ?? rawLog)?.Dispose();
            (commitLog as IDisposable ?? rawCommits)?.Dispose();
            throw Wrap(ex, $"open {fullPath}");
        }
    }

    /// <summary>
    /// Finishes every queued write, then checkpoints and closes the file. Writes and reads after
    /// this throw <see cref="ObjectDisposedException"/>. Safe to call more than once.
    /// </summary>
    /// <returns>A task that completes when the file is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposeStarted, 1) == 1)
        {
            await _disposed.Task.ConfigureAwait(false);
            return;
        }

        await _writer.CloseAsync().ConfigureAwait(false);
        if (_logFlusher is { } flusher)
        {
            await flusher.DisposeAsync().ConfigureAwait(false);
        }

        _lifetime.EnterWriteLock();
        try
        {
            _closed = true;
            if (_fault is null && _commitLog is not null)
            {
                try
                {
                    // Leaves LiteDB's log empty and the data file whole, so the next open replays nothing.
                    Sync();
                }
                catch (Exception)
                {
                    // Nothing is lost: the commit log still holds every acknowledged write.
                }
            }

            try
            {
                // LiteDB checkpoints as it closes: nothing left to copy after the sync, and the data
                // file refuses writes if the sync failed.
                _engine.Dispose();
            }
            catch (Exception)
            {
                // See above: a failed final checkpoint is not a lost write.
            }

            _data.Dispose();
            _log.Dispose();
            _commitFile.Dispose();
        }
        finally
        {
            _lifetime.ExitWriteLock();
            _disposed.TrySetResult();
        }
    }

    /// <summary>
    /// Maps a failure inside LiteDB or the codec to the SDK's exceptions: everything but our own
    /// <see cref="StateChannelException"/>s and cancellation becomes <see cref="ErrorCode.StorageFailure"/>
    /// (LiteDB reports damage as anything from <see cref="LiteException"/> to <see cref="ArgumentOutOfRangeException"/>).
    /// Argument checks run before any call that is wrapped.
    /// </summary>
    private static Exception Wrap(Exception ex, string operation) => ex switch
    {
        StateChannelException { Code: ErrorCode.InvalidFormat } invalid => new StateChannelException(
            ErrorCode.StorageFailure, $"Cannot {operation}: a stored record does not decode ({invalid.Message}).", invalid),
        StateChannelException or OperationCanceledException => ex,
        _ => new StateChannelException(ErrorCode.StorageFailure, $"Cannot {operation}: {ex.Message}", ex),
    };

    /// <summary>
    /// Refuses files LiteDB would "repair" silently: given a data file that is not a whole number
    /// of pages, LiteDB truncates it (to nothing, if it is shorter than a page, and then starts an
    /// empty database); given an empty data file beside a non-empty log, it starts an empty
    /// database too. Neither can come from a crash (the first page is flushed before the log is
    /// ever written), so both mean a damaged file. A log that is not a whole number of pages is a
    /// torn last write of an unacknowledged transaction, which LiteDB rightly drops.
    /// </summary>
    private static void CheckLengths(long dataLength, long logLength)
    {
        if (dataLength % StoreDocuments.PageSize != 0)
        {
            throw StoreDocuments.Corrupt("database file", $"its length {dataLength} is not a whole number of pages (truncated?)");
        }

        if (dataLength == 0 && logLength > 0)
        {
            throw StoreDocuments.Corrupt("database file", "it is empty while its log is not");
        }
    }

    /// <summary>
    /// Sets LiteDB's checkpoint threshold, checks or writes the store's own schema document, and
    /// creates every collection up front: LiteDB 5 can fail a read of a collection that another
    /// transaction is creating at the same moment (upstream issue 2792).
    /// </summary>
    private void Initialize()
    {
        // Checks first: nothing is written to a file this library then refuses.
        BsonDocument? meta = FindById(StoreDocuments.Meta, StoreDocuments.MetaId);
        if (meta is null)
        {
            foreach (string collection in (string[])[StoreDocuments.Channels, StoreDocuments.States, StoreDocuments.Cursors, StoreDocuments.Journal])
            {
                using IBsonDataReader reader = _engine.Query(collection, new Query { Limit = 1 });
                if (reader.Read())
                {
                    throw StoreDocuments.Corrupt("store header", "it is missing while records exist");
                }
            }
        }
        else if (!meta.TryGetValue("schema", out BsonValue schema) || !schema.IsInt32 || schema.AsInt32 < 1)
        {
            throw StoreDocuments.Corrupt("store header", "it has no valid schema version");
        }
        else if (schema.AsInt32 > StoreDocuments.StoreSchemaVersion)
        {
            throw new StateChannelException(
                ErrorCode.UnsupportedSchemaVersion,
                $"The store was written with schema {schema.AsInt32}; this library reads up to {StoreDocuments.StoreSchemaVersion}.");
        }

        // The direct read of the log length must agree with the $database query; else keep the query.
        if (LogLengthProbe.TryCreate(_engine) is { } direct && direct() == QueryLogLength())
        {
            _logLength = direct;
        }

        // LiteDB never checkpoints by itself: the store does, at its syncs (see Recover and Sync).
        if (_engine.Pragma("CHECKPOINT").AsInt32 != 0)
        {
            _engine.Pragma("CHECKPOINT", 0);
            WaitDurable();
        }

        if (meta is null || meta["schema"].AsInt32 < StoreDocuments.StoreSchemaVersion)
        {
            // Schema 2: writes are durable through the commit log; a library that reads only schema 1
            // would ignore it, so it must refuse the file.
            _engine.Upsert(
                StoreDocuments.Meta,
                [new BsonDocument { ["_id"] = StoreDocuments.MetaId, ["schema"] = StoreDocuments.StoreSchemaVersion }],
                BsonAutoId.ObjectId);
            WaitDurable();
        }

        var existing = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        using (IBsonDataReader reader = _engine.Query("$cols", new Query()))
        {
            while (reader.Read())
            {
                existing.Add(reader.Current["name"].AsString);
            }
        }

        foreach (string collection in (string[])[StoreDocuments.Channels, StoreDocuments.States, StoreDocuments.Cursors, StoreDocuments.Journal])
        {
            if (!existing.Contains(collection))
            {
                // LiteDB creates a collection on its first insert and keeps it when emptied.
                _engine.BeginTrans();
                _engine.Insert(collection, [new BsonDocument { ["_id"] = "create" }], BsonAutoId.ObjectId);
                _engine.Delete(collection, [new BsonValue("create")]);
                _engine.Commit();
                WaitDurable();
            }
        }
    }

    /// <summary>
    /// Ends the open: replays the commit log's current generation (each change is idempotent, so
    /// replaying changes the data file or LiteDB's log already holds is harmless), then syncs, or
    /// creates the commit log for a store that has none (new, or written by schema 1, whose LiteDB
    /// log was made durable commit by commit and is trusted). Until this returns, every write is
    /// made durable the old way: LiteDB's log flushed before each commit record and after it.
    /// From then on a write is durable once its commit log frame is.
    /// </summary>
    private void Recover(CommitLog? commitLog, CommitLog.Recovery recovery)
    {
        if (recovery.Changes.Count > 0)
        {
            _engine.BeginTrans();
            try
            {
                foreach (byte[] change in recovery.Changes)
                {
                    RedoRecord.Replay(_engine, change);
                }
            }
            catch
            {
                TryRollback();
                throw;
            }

            _engine.Commit();
            WaitDurable();
        }

        if (commitLog is null)
        {
            _data.WritesAllowed = true;
            _engine.Checkpoint();
            _data.FlushToDevice();
            _commitLog = CommitLog.Create(_commitFile, _options.CommitLogBytes);
        }
        else
        {
            _commitLog = commitLog;
            Sync();
        }

        _data.WritesAllowed = false;
        _log.CommitBarrier = false;
    }

    /// <summary>
    /// Makes LiteDB's data file hold every committed write and starts a new commit log generation:
    /// flushes LiteDB's log (every transaction in it is then durable and whole), records that in the
    /// commit log (a <see cref="CommitLog.FrameKind.Synced"/> frame: an open now keeps LiteDB's log and
    /// lets LiteDB replay it), checkpoints the log into the data file and flushes it, then starts a
    /// generation. A crash at any step leaves either the old generation (replayed on top of the
    /// synced log) or the new one (on top of the whole data file). Writer thread, or a thread that
    /// owns the store alone (open, dispose).
    /// </summary>
    private void Sync()
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            SyncCore();
        }
        finally
        {
            long ticks = System.Diagnostics.Stopwatch.GetElapsedTime(started).Ticks;
            Interlocked.Add(ref _syncTicks, ticks);
            InterlockedMax(ref _longestSyncTicks, ticks);
        }
    }

    private static void InterlockedMax(ref long target, long value)
    {
        long seen = Volatile.Read(ref target);
        while (value > seen && Interlocked.CompareExchange(ref target, value, seen) is var found && found != seen)
        {
            seen = found;
        }
    }

    private void SyncCore()
    {
        CommitLog commitLog = _commitLog!;
        FlushHistory();
        _log.WaitDurable(LogEnd(), _options.DurabilityTimeout);
        if (commitLog.LastKind != CommitLog.FrameKind.Synced)
        {
            commitLog.Append(CommitLog.FrameKind.Synced, ReadOnlySpan<byte>.Empty);
        }

        _data.WritesAllowed = true;
        try
        {
            _engine.Checkpoint();
            _data.FlushToDevice();
        }
        finally
        {
            _data.WritesAllowed = false;
        }

        commitLog.StartGeneration();
        Interlocked.Increment(ref _syncs);
    }

    /// <summary>
    /// Flushes LiteDB's log in the background every 50 ms once 256 KiB wait, so the flush a sync
    /// must do (on the writer thread, while writes wait) finds little left: shorter stalls.
    /// </summary>
    private void StartLogFlusher()
    {
        TimeSpan period = TimeSpan.FromMilliseconds(50);
        _logFlusher = new Timer(static state => ((DurableStream)state!).FlushInBackground(256 * 1024), _log, period, period);
    }

    /// <summary>LiteDB's virtual log length: the end of the last transaction it committed.</summary>
    private long LogEnd()
    {
        long end = _logLength?.Invoke() ?? QueryLogLength();
        return end >= 0 ? end : throw new StorageDeviceException($"LiteDB reported an unusable log length ({end}).", null);
    }

    /// <summary>
    /// Called on the thread that just committed: blocks until LiteDB's log is durable up to its
    /// current end, which covers every transaction committed so far.
    /// </summary>
    private void WaitDurable()
    {
        if (_logLength is { } length)
        {
            long queuedEnd = length();
            if (queuedEnd < 0)
            {
                throw new StorageDeviceException($"LiteDB reported an unusable log length ({queuedEnd}).", null);
            }

            _log.WaitDurable(queuedEnd, _options.DurabilityTimeout);
            return;
        }

        _log.WaitDurable(QueryLogLength(), _options.DurabilityTimeout);
    }

    /// <summary>LiteDB's virtual log length through its <c>$database</c> system collection (the slow, public way).</summary>
    private long QueryLogLength()
    {
        // $database.logFileSize is LiteDB's virtual log length: the end of the last page queued
        // for its background writer, so the end of the commit that just returned.
        BsonValue size;
        using (IBsonDataReader reader = _engine.Query("$database", new Query()))
        {
            if (!reader.Read())
            {
                throw new StorageDeviceException("LiteDB did not report its log length.", null);
            }

            size = reader.Current["logFileSize"];
        }

        long end = size.IsNumber ? size.AsInt64 : -1;
        if (end < 0)
        {
            throw new StorageDeviceException($"LiteDB reported an unusable log length ({size}).", null);
        }

        return end;
    }

    private BsonDocument? FindById(string collection, BsonValue id)
    {
        using IBsonDataReader reader = _engine.Query(collection, new Query { Where = { StoreDocuments.IdEquals(id) }, Limit = 1 });
        return reader.Read() ? reader.Current.AsDocument : null;
    }

    private void ThrowIfUnusable()
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        if (_fault is { } fault)
        {
            throw new StateChannelException(
                ErrorCode.StorageFailure, "The store faulted after a failed commit; reopen it.", fault);
        }
    }
}
