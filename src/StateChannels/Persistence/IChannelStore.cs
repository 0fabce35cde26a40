namespace StateChannels;

/// <summary>
/// Durable storage of channels and their signed state history. One store per client.
/// <para>Durability contract: <see cref="WriteAsync"/> returns only after every record of the batch is
/// on stable storage (fsync'd); a crash at any moment leaves either the whole batch or none of it.</para>
/// <para>Concurrency contract: all members are safe to call from any thread at once. Writes of
/// different batches may be committed together (group commit) but each batch stays atomic.</para>
/// <para>Validation contract: the store does not verify signatures (the engine does, on load); it
/// must detect corruption of what it reads back (checksums) and throw
/// <see cref="StateChannelException"/> with <see cref="ErrorCode.StorageFailure"/>, and refuse records of a newer
/// schema with <see cref="ErrorCode.UnsupportedSchemaVersion"/>.</para>
/// <para>Ownership contract: one open store instance owns its storage. Opening the same storage again
/// while it is open (a second instance, a second process) fails with
/// <see cref="ErrorCode.StorageFailure"/>, and the open instance keeps working; once it is disposed,
/// the storage may be opened again and holds everything written.</para>
/// <para>Retention contract: a store may offer a retention option that keeps only the last n versions
/// of each channel's history, applied on write. Retention and <see cref="PruneHistoryAsync"/> never
/// remove a version at or above the channel record's protected version: the lower of its latest fully
/// signed state and the state we last signed (disputes and the sign-once check read them).</para>
/// <para>Every implementation must pass the conformance suite shipped in StateChannels.Testing
/// (<c>StateChannels.Testing.Conformance.ChannelStoreConformanceTests</c>): derive one class from it.</para>
/// </summary>
public interface IChannelStore : IAsyncDisposable
{
    /// <summary>
    /// Atomically and durably writes the channel records (replacing each channel's previous record)
    /// and appends the signed states to the history. A history entry at a (channel, version) that
    /// already holds the identical state is a no-op; a different state there fails the whole batch
    /// with <see cref="ErrorCode.StorageFailure"/> and writes nothing.
    /// </summary>
    ValueTask WriteAsync(StoreBatch batch, CancellationToken cancellationToken = default);

    /// <summary>The channel's record, or null if unknown.</summary>
    ValueTask<ChannelRecord?> GetChannelAsync(ChannelId id, CancellationToken cancellationToken = default);

    /// <summary>Every channel record, in no particular order.</summary>
    IAsyncEnumerable<ChannelRecord> GetChannelsAsync(CancellationToken cancellationToken = default);

    /// <summary>The signed state of a channel at a version, or null if not held (never stored or pruned).</summary>
    ValueTask<SignedState?> GetStateAsync(ChannelId id, ulong version, CancellationToken cancellationToken = default);

    /// <summary>The channel's stored signed states with version at least <paramref name="fromVersion"/>, ascending.</summary>
    IAsyncEnumerable<SignedState> GetHistoryAsync(ChannelId id, ulong fromVersion = 0, CancellationToken cancellationToken = default);

    /// <summary>
    /// Removes history entries of a channel with version below <paramref name="belowVersion"/>, but
    /// never at or above the record's protected version (see the retention contract; nothing at all
    /// while the record holds no fully signed state). Durable on return.
    /// </summary>
    ValueTask PruneHistoryAsync(ChannelId id, ulong belowVersion, CancellationToken cancellationToken = default);

    /// <summary>A named cursor (e.g. the chain watcher's last processed block), or null if never set.</summary>
    ValueTask<ulong?> GetCursorAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Durably sets a named cursor.</summary>
    ValueTask SetCursorAsync(string name, ulong value, CancellationToken cancellationToken = default);
}
