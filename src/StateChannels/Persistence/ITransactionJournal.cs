namespace StateChannels;

/// <summary>
/// Durable key → bytes records for a chain adapter's transaction manager: what it signed and
/// broadcast (nonce, raw transaction, fees, status), so that after a restart it re-broadcasts the
/// same transaction instead of sending a second one. The records are opaque to the store; the
/// adapter owns their encoding (with its own schema version and checksum).
/// <para>Durability contract: <see cref="PutEntryAsync"/> and <see cref="DeleteEntryAsync"/> return only
/// after the change is on stable storage (fsync'd); a crash at any moment leaves the old or the new
/// value of the key, never a mix.</para>
/// <para>Concurrency contract: all members are safe to call from any thread at once; a read sees
/// every write that returned before it started.</para>
/// <para>Validation contract: like <see cref="IChannelStore"/>, a store must detect corruption of what
/// it reads back and throw <see cref="StateChannelException"/> with <see cref="ErrorCode.StorageFailure"/>.</para>
/// <para>Keys are 1 to <see cref="MaxKeyLength"/> characters, compared ordinally (case-sensitive);
/// values are at most <see cref="MaxValueLength"/> bytes.</para>
/// </summary>
public interface ITransactionJournal
{
    /// <summary>The longest key, in characters.</summary>
    const int MaxKeyLength = 256;

    /// <summary>The largest value, in bytes.</summary>
    const int MaxValueLength = 256 * 1024;

    /// <summary>The value stored under <paramref name="key"/>, or null if none.</summary>
    /// <exception cref="ArgumentException">The key is empty or too long.</exception>
    /// <exception cref="StateChannelException"><see cref="ErrorCode.StorageFailure"/>: the record is corrupt or unreadable.</exception>
    ValueTask<byte[]?> GetEntryAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Every entry whose key starts with <paramref name="prefix"/> (ordinal), in ordinal key order.</summary>
    /// <exception cref="ArgumentException">The prefix is too long.</exception>
    /// <exception cref="StateChannelException"><see cref="ErrorCode.StorageFailure"/>: a record is corrupt or unreadable.</exception>
    IAsyncEnumerable<JournalEntry> GetEntriesAsync(string prefix, CancellationToken cancellationToken = default);

    /// <summary>Durably stores <paramref name="value"/> under <paramref name="key"/>, replacing any previous value.</summary>
    /// <exception cref="ArgumentException">The key is empty or too long, or the value too large.</exception>
    /// <exception cref="StateChannelException"><see cref="ErrorCode.StorageFailure"/>: the write did not become durable.</exception>
    ValueTask PutEntryAsync(string key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default);

    /// <summary>Durably removes the entry under <paramref name="key"/>; no-op if there is none.</summary>
    /// <exception cref="ArgumentException">The key is empty or too long.</exception>
    /// <exception cref="StateChannelException"><see cref="ErrorCode.StorageFailure"/>: the write did not become durable.</exception>
    ValueTask DeleteEntryAsync(string key, CancellationToken cancellationToken = default);
}
