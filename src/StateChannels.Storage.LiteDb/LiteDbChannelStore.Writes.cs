using LiteDB;

namespace StateChannels.Storage.LiteDb;

/// <content>Writes: queued to the writer thread, applied in groups, acknowledged once durable.</content>
public sealed partial class LiteDbChannelStore
{
    /// <summary>
    /// Atomically and durably writes the batch: replaces each channel's record (a later record of
    /// the same channel in the batch wins) and appends the signed states. A state identical to
    /// the one stored at its (channel, version) is a no-op; a different one fails the whole batch
    /// with <see cref="ErrorCode.StorageFailure"/> and writes nothing of it. Returns once the batch
    /// is on the device. With <see cref="LiteDbStoreOptions.HistoryRetention"/> set, old history of
    /// the written channels is pruned in the same transaction.
    /// </summary>
    /// <param name="batch">The batch.</param>
    /// <param name="cancellationToken">
    /// Withdraws the batch while it is still queued (then nothing is written and the call throws
    /// <see cref="OperationCanceledException"/>); once the writer has taken it, the call waits for its outcome.
    /// </param>
    /// <returns>A task that completes when the batch is durable.</returns>
    /// <exception cref="ArgumentNullException">The batch, or a record or state in it, is null.</exception>
    /// <exception cref="StateChannelException"><see cref="ErrorCode.StorageFailure"/>: conflicting history or a failed write.</exception>
    /// <exception cref="ObjectDisposedException">The store is disposed.</exception>
    public ValueTask WriteAsync(StoreBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return SubmitAsync(() => BatchWrite.Encode(batch), cancellationToken);
    }

    /// <summary>
    /// Durably removes a channel's history entries with version below <paramref name="belowVersion"/>,
    /// but never one at or above <c>min(Latest.State.Version, LastSigned.State.Version)</c> of the
    /// channel's stored record (nothing at all while the record has no fully signed state). A
    /// channel without a record is pruned as asked.
    /// </summary>
    /// <param name="id">The channel.</param>
    /// <param name="belowVersion">Versions below this one are removed.</param>
    /// <param name="cancellationToken">Withdraws the prune while it is still queued.</param>
    /// <returns>A task that completes when the prune is durable.</returns>
    /// <exception cref="StateChannelException"><see cref="ErrorCode.StorageFailure"/>: the record is unreadable, or the write failed.</exception>
    /// <exception cref="ObjectDisposedException">The store is disposed.</exception>
    public ValueTask PruneHistoryAsync(ChannelId id, ulong belowVersion, CancellationToken cancellationToken = default) =>
        SubmitAsync(() => new PruneWrite(id, belowVersion), cancellationToken);

    /// <summary>Durably sets a named cursor.</summary>
    /// <param name="name">The cursor's name: 1 to 256 characters.</param>
    /// <param name="value">The value.</param>
    /// <param name="cancellationToken">Withdraws the write while it is still queued.</param>
    /// <returns>A task that completes when the cursor is durable.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty or too long.</exception>
    /// <exception cref="StateChannelException"><see cref="ErrorCode.StorageFailure"/>: the write failed.</exception>
    /// <exception cref="ObjectDisposedException">The store is disposed.</exception>
    public ValueTask SetCursorAsync(string name, ulong value, CancellationToken cancellationToken = default)
    {
        ValidateCursorName(name);
        return SubmitAsync(() => new CursorWrite(name, value), cancellationToken);
    }

    private static ulong PruneCap(ChannelRecord? record) => record switch
    {
        null => ulong.MaxValue,
        { Latest: null } => 0,
        { Latest: { } latest, LastSigned: var signed } => Math.Min(latest.State.Version, signed?.State.Version ?? ulong.MaxValue),
    };

    private ValueTask SubmitAsync(Func<PendingWrite> create, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        try
        {
            ThrowIfUnusable();
            return new ValueTask(_writer.Submit(create(), cancellationToken, this));
        }
        catch (Exception ex)
        {
            return ValueTask.FromException(ex);
        }
    }

    /// <summary>Writer thread: applies a group in one transaction; isolates a failing operation by retrying one by one.</summary>
    private void ApplyGroup(List<PendingWrite> group)
    {
        if (_fault is not null)
        {
            FailAll(group, 0);
            return;
        }

        Exception?[] outcomes;
        try
        {
            outcomes = ApplyInTransaction(group);
        }
        catch (CommitFailedException)
        {
            FailAll(group, 0);
            return;
        }
        catch (Exception) when (group.Count > 1)
        {
            // Rolled back: something in the group broke the transaction itself. Retry each
            // operation alone so one bad operation does not fail the others.
            for (int i = 0; i < group.Count; i++)
            {
                try
                {
                    Complete(group[i], ApplyInTransaction([group[i]])[0]);
                }
                catch (CommitFailedException)
                {
                    FailAll(group, i);
                    return;
                }
                catch (Exception ex)
                {
                    group[i].Fail(Wrap(ex, "write"));
                }
            }

            return;
        }
        catch (Exception ex)
        {
            group[0].Fail(Wrap(ex, "write"));
            return;
        }

        MaybeSync();
        for (int i = 0; i < group.Count; i++)
        {
            Complete(group[i], outcomes[i]);
        }
    }

    /// <summary>
    /// After a group's commit, before it is acknowledged: syncs when LiteDB's log has grown past the checkpoint
    /// threshold or the commit log is nearly full, so neither grows without bound. A failure faults
    /// the store (nothing acknowledged is lost: the commit log still holds it).
    /// </summary>
    private void MaybeSync()
    {
        if (_commitLog is not { } commitLog)
        {
            return;
        }

        try
        {
            if (LogEnd() > (long)_options.CheckpointPages * StoreDocuments.PageSize || commitLog.Room < commitLog.MaxPayload / 8)
            {
                Sync();
            }
        }
        catch (Exception ex)
        {
            _fault ??= ex;
        }
    }

    private static void Complete(PendingWrite operation, Exception? rejection)
    {
        if (rejection is null)
        {
            operation.Succeed();
        }
        else
        {
            operation.Fail(rejection);
        }
    }

    private void FailAll(List<PendingWrite> group, int from)
    {
        var failure = new StateChannelException(
            ErrorCode.StorageFailure, "The store faulted after a failed commit; reopen it.", _fault);
        for (int i = from; i < group.Count; i++)
        {
            group[i].Fail(failure);
        }
    }

    /// <summary>
    /// One transaction: each operation is validated before any of it is written, so a rejected
    /// operation (returned as its outcome) leaves nothing behind while the others proceed.
    /// Throws <see cref="CommitFailedException"/> when the commit or its flush failed (the store is then faulted).
    /// </summary>
    private Exception?[] ApplyInTransaction(IReadOnlyList<PendingWrite> operations)
    {
        var outcomes = new Exception?[operations.Count];
        var written = new Dictionary<ChannelId, ChannelRecord?>();
        _redo.Clear();
        _engine.BeginTrans();
        try
        {
            BeginHistory();
            for (int i = 0; i < operations.Count; i++)
            {
                outcomes[i] = operations[i] switch
                {
                    BatchWrite batch => ApplyBatch(batch, written),
                    PruneWrite prune => ApplyPrune(prune),
                    CursorWrite cursor => ApplyCursor(cursor),
                    JournalWrite journal => ApplyJournal(journal),
                    _ => throw new InvalidOperationException($"Unknown operation {operations[i].GetType().Name}."),
                };
            }

            if (_options.HistoryRetention is int keep)
            {
                foreach ((ChannelId id, ChannelRecord? record) in written)
                {
                    ApplyRetention(id, record, keep);
                }
            }
        }
        catch
        {
            AbandonHistory();
            TryRollback();
            throw;
        }

        try
        {
            CommitVisibly();
            Interlocked.Increment(ref _commits);
            MakeDurable();
        }
        catch (Exception ex)
        {
            AbandonHistory();
            _fault = ex;
            throw new CommitFailedException(ex);
        }

        return outcomes;
    }

    /// <summary>
    /// Makes the transaction just committed durable: its changes as one commit log frame, flushed;
    /// or, if they would not fit, a sync. Before the commit log exists (while opening): LiteDB's log.
    /// </summary>
    private void MakeDurable()
    {
        if (_commitLog is not { } commitLog)
        {
            WaitDurable();
            return;
        }

        if (_redo.IsEmpty)
        {
            return;
        }

        if (_redo.Bytes.Length <= commitLog.Room)
        {
            commitLog.Append(CommitLog.FrameKind.Changes, _redo.Bytes);
        }
        else
        {
            Sync();
        }
    }

    /// <summary>Puts a document and records it for the commit log.</summary>
    private void Put(string collection, byte[] key, byte[] payload, byte[] checksum)
    {
        _engine.Upsert(collection, [StoreDocuments.Create(key, payload, checksum)], BsonAutoId.ObjectId);
        _redo.RecordPut(collection, key, payload, checksum);
    }

    private void TryRollback()
    {
        try
        {
            _engine.Rollback();
        }
        catch (Exception)
        {
            // The transaction is gone either way; the caller reports the original error.
        }
    }

    private Exception? ApplyBatch(BatchWrite batch, Dictionary<ChannelId, ChannelRecord?> written)
    {
        var appends = new List<EncodedDocument>(batch.States.Count);
        foreach (EncodedDocument state in batch.States)
        {
            if (FindUnflushedState(state.Key) is { } unflushed)
            {
                if (!unflushed.Payload.AsSpan().SequenceEqual(state.Payload))
                {
                    return BatchWrite.Conflict(state.ChannelId, state.Version);
                }

                continue;
            }

            BsonDocument? stored = FindById(StoreDocuments.States, state.Key);
            if (stored is null)
            {
                appends.Add(state);
                continue;
            }

            byte[] payload;
            try
            {
                payload = StoreDocuments.Verify(stored, state.Key, $"state {state.Version} of channel {state.ChannelId}");
            }
            catch (StateChannelException ex)
            {
                return ex;
            }

            if (!payload.AsSpan().SequenceEqual(state.Payload))
            {
                return BatchWrite.Conflict(state.ChannelId, state.Version);
            }
        }

        foreach (EncodedDocument state in appends)
        {
            AppendState(state);
        }

        foreach (EncodedDocument channel in batch.Channels)
        {
            PutChannel(channel);
        }

        foreach (EncodedDocument state in batch.States)
        {
            written.TryAdd(state.ChannelId, null);
        }

        foreach (ChannelRecord record in batch.Records)
        {
            written[record.Id] = record;
        }

        return null;
    }

    private Exception? ApplyPrune(PruneWrite prune)
    {
        if (!_writeThrough)
        {
            FlushHistoryIntoTransaction();
        }

        ChannelRecord? record;
        try
        {
            record = ReadChannel(prune.ChannelId, includePending: false);
        }
        catch (StateChannelException ex)
        {
            return ex;
        }
        catch (Exception ex)
        {
            return Wrap(ex, $"prune channel {prune.ChannelId}");
        }

        DeleteBelow(prune.ChannelId, Math.Min(prune.BelowVersion, PruneCap(record)));
        return null;
    }

    private Exception? ApplyCursor(CursorWrite cursor)
    {
        Put(StoreDocuments.Cursors, cursor.Key, cursor.Payload, cursor.Checksum);
        return null;
    }

    /// <summary>Keeps the last <paramref name="keep"/> versions below the protected ones. Pruning less is always safe, so an unreadable record skips it.</summary>
    private void ApplyRetention(ChannelId id, ChannelRecord? record, int keep)
    {
        if (record is null)
        {
            try
            {
                record = ReadChannel(id, includePending: false);
            }
            catch (StateChannelException)
            {
                return;
            }

            if (record is null)
            {
                return;
            }
        }

        var query = new Query { OrderBy = "_id", Order = LiteDB.Query.Descending, Limit = 1 };
        query.Where.Add(StoreDocuments.IdBetween(StoreDocuments.StateKey(id, 0), StoreDocuments.StateKey(id, ulong.MaxValue)));
        ulong highest;
        using (IBsonDataReader reader = _engine.Query(StoreDocuments.States, query))
        {
            if (!reader.Read())
            {
                return;
            }

            highest = StoreDocuments.VersionOfStateKey(reader.Current["_id"].AsBinary);
        }

        if (highest < (ulong)keep)
        {
            return;
        }

        DeleteBelow(id, Math.Min(highest - (ulong)keep + 1, PruneCap(record)));
    }

    private void DeleteBelow(ChannelId id, ulong belowVersion)
    {
        if (belowVersion == 0)
        {
            return;
        }

        if (!_writeThrough)
        {
            FlushHistoryIntoTransaction();
        }

        byte[] first = StoreDocuments.StateKey(id, 0);
        byte[] last = StoreDocuments.StateKey(id, belowVersion - 1);
        _engine.DeleteMany(StoreDocuments.States, StoreDocuments.IdBetween(first, last));
        _redo.RecordDeleteRange(StoreDocuments.States, first, last);
    }

    /// <summary>A commit, or the flush that makes it durable, failed: its outcome is unknown.</summary>
    private sealed class CommitFailedException(Exception inner) : Exception("The commit failed.", inner);
}
