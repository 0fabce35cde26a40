namespace StateChannels.Testing;

/// <content>Fault injection and restart, for tests of what uses the store.</content>
public sealed partial class InMemoryChannelStore
{
    /// <summary>
    /// Called before each write (batch, prune or cursor) is applied, outside the store's lock: a
    /// delay models a slow disk, an exception fails the write with nothing written.
    /// </summary>
    public Func<CancellationToken, ValueTask>? BeforeWrite { get; set; }

    /// <summary>How many writes (batches, prunes, cursor updates) succeeded.</summary>
    public long WriteCount => Interlocked.Read(ref _writes);

    /// <summary>Makes the next write fail with <paramref name="exception"/> (default: <see cref="ErrorCode.StorageFailure"/>), writing nothing. Calls queue up.</summary>
    /// <param name="exception">The exception the write throws.</param>
    public void FailNextWrite(Exception? exception = null)
    {
        lock (_gate)
        {
            _injectedFailures.Enqueue(exception ?? new StateChannelException(ErrorCode.StorageFailure, "Injected write failure."));
        }
    }

    /// <summary>Flips a bit of the channel's stored record, as a bad disk would: the next read of it throws <see cref="ErrorCode.StorageFailure"/>.</summary>
    /// <param name="id">The channel.</param>
    /// <exception cref="KeyNotFoundException">No record of the channel is stored.</exception>
    public void CorruptChannel(ChannelId id)
    {
        lock (_gate)
        {
            _channels[id] = _channels[id].Corrupted();
        }
    }

    /// <summary>Flips a bit of a stored history entry: the next read of it throws <see cref="ErrorCode.StorageFailure"/>.</summary>
    /// <param name="id">The channel.</param>
    /// <param name="version">The version.</param>
    /// <exception cref="KeyNotFoundException">No such entry is stored.</exception>
    public void CorruptState(ChannelId id, ulong version)
    {
        lock (_gate)
        {
            SortedDictionary<ulong, Entry> history = _states[id];
            history[version] = history[version].Corrupted();
        }
    }

    /// <summary>Replaces the channel's stored bytes with a valid checksum, as other software (e.g. a newer version) would write them.</summary>
    /// <param name="id">The channel.</param>
    /// <param name="rewrite">Maps the stored payload to the new one.</param>
    /// <exception cref="KeyNotFoundException">No record of the channel is stored.</exception>
    public void RewriteChannelPayload(ChannelId id, Func<byte[], byte[]> rewrite)
    {
        ArgumentNullException.ThrowIfNull(rewrite);
        lock (_gate)
        {
            _channels[id] = new Entry(rewrite(_channels[id].Payload.ToArray()));
        }
    }

    /// <summary>Replaces a history entry's stored bytes with a valid checksum.</summary>
    /// <param name="id">The channel.</param>
    /// <param name="version">The version.</param>
    /// <param name="rewrite">Maps the stored payload to the new one.</param>
    /// <exception cref="KeyNotFoundException">No such entry is stored.</exception>
    public void RewriteStatePayload(ChannelId id, ulong version, Func<byte[], byte[]> rewrite)
    {
        ArgumentNullException.ThrowIfNull(rewrite);
        lock (_gate)
        {
            SortedDictionary<ulong, Entry> history = _states[id];
            history[version] = new Entry(rewrite(history[version].Payload.ToArray()));
        }
    }

    /// <summary>
    /// Opens this store's storage again as a second owner would (the ownership contract of
    /// <see cref="IChannelStore"/>): refused while this store is open, else <see cref="Restart"/>.
    /// </summary>
    /// <returns>The store opened on the same content.</returns>
    /// <exception cref="StateChannelException"><see cref="ErrorCode.StorageFailure"/> while this store is open.</exception>
    public InMemoryChannelStore OpenAgain()
    {
        lock (_gate)
        {
            if (!_disposed)
            {
                throw new StateChannelException(ErrorCode.StorageFailure, "the in-memory store is open: one owner at a time");
            }
        }

        return Restart();
    }

    /// <summary>
    /// A new store holding everything this one durably holds, as a restarted process would find
    /// it (every completed write; a write still blocked in <see cref="BeforeWrite"/> is not in it).
    /// Works after <see cref="DisposeAsync"/> too. Fault-injection settings are not copied.
    /// </summary>
    /// <returns>The restarted store.</returns>
    public InMemoryChannelStore Restart()
    {
        var copy = new InMemoryChannelStore(_historyRetention);
        lock (_gate)
        {
            foreach ((ChannelId id, Entry entry) in _channels)
            {
                copy._channels.Add(id, entry);
            }

            foreach ((ChannelId id, SortedDictionary<ulong, Entry> history) in _states)
            {
                copy._states.Add(id, new SortedDictionary<ulong, Entry>(history));
            }

            foreach ((string name, ulong value) in _cursors)
            {
                copy._cursors.Add(name, value);
            }

            CopyJournalTo(copy);
        }

        return copy;
    }
}
