using System.Runtime.CompilerServices;
using System.Text;
using LiteDB;

namespace StateChannels.Storage.LiteDb;

/// <content>
/// The <see cref="ITransactionJournal"/> part: key → bytes records in the <c>journal</c> collection,
/// written through the same group-commit writer as everything else (durable on return) and
/// verified (schema, checksum) on every read.
/// </content>
public sealed partial class LiteDbChannelStore : ITransactionJournal
{
    /// <summary>The entry under <paramref name="key"/>, verified, or null.</summary>
    /// <param name="key">1 to 256 characters.</param>
    /// <param name="cancellationToken">Cancels before the read starts.</param>
    /// <returns>A copy of the stored bytes, or null.</returns>
    /// <exception cref="ArgumentException">The key is empty or too long.</exception>
    /// <exception cref="StateChannelException"><see cref="ErrorCode.StorageFailure"/> or <see cref="ErrorCode.UnsupportedSchemaVersion"/>.</exception>
    /// <exception cref="ObjectDisposedException">The store is disposed.</exception>
    public ValueTask<byte[]?> GetEntryAsync(string key, CancellationToken cancellationToken = default)
    {
        JournalKeys.Validate(key);
        return ReadAsync(() => ReadJournal(key), "read a journal entry", cancellationToken);
    }

    /// <summary>Every entry whose key starts with <paramref name="prefix"/>, in ordinal (UTF-8 byte) key order, verified.</summary>
    /// <param name="prefix">The key prefix; empty for all.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>The entries.</returns>
    /// <exception cref="ArgumentException">The prefix is too long.</exception>
    /// <exception cref="StateChannelException"><see cref="ErrorCode.StorageFailure"/> or <see cref="ErrorCode.UnsupportedSchemaVersion"/>.</exception>
    public async IAsyncEnumerable<JournalEntry> GetEntriesAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        JournalKeys.ValidatePrefix(prefix);
        List<JournalEntry> entries = await ReadAsync(() => ReadJournalPrefix(prefix), "read journal entries", cancellationToken).ConfigureAwait(false);
        foreach (JournalEntry entry in entries)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return entry;
        }
    }

    /// <summary>Durably stores <paramref name="value"/> under <paramref name="key"/>, replacing any previous value.</summary>
    /// <param name="key">1 to 256 characters.</param>
    /// <param name="value">At most 256 KiB.</param>
    /// <param name="cancellationToken">Withdraws the write while it is still queued.</param>
    /// <returns>A task that completes when the entry is durable.</returns>
    /// <exception cref="ArgumentException">The key is empty or too long, or the value too large.</exception>
    /// <exception cref="StateChannelException"><see cref="ErrorCode.StorageFailure"/>: the write failed.</exception>
    /// <exception cref="ObjectDisposedException">The store is disposed.</exception>
    public ValueTask PutEntryAsync(string key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default)
    {
        JournalKeys.Validate(key);
        JournalKeys.ValidateValue(value);
        byte[] copy = value.ToArray();
        return SubmitAsync(() => new JournalWrite(key, copy), cancellationToken);
    }

    /// <summary>Durably removes the entry under <paramref name="key"/>; no-op if there is none.</summary>
    /// <param name="key">1 to 256 characters.</param>
    /// <param name="cancellationToken">Withdraws the write while it is still queued.</param>
    /// <returns>A task that completes when the removal is durable.</returns>
    /// <exception cref="ArgumentException">The key is empty or too long.</exception>
    /// <exception cref="StateChannelException"><see cref="ErrorCode.StorageFailure"/>: the write failed.</exception>
    /// <exception cref="ObjectDisposedException">The store is disposed.</exception>
    public ValueTask DeleteEntryAsync(string key, CancellationToken cancellationToken = default)
    {
        JournalKeys.Validate(key);
        return SubmitAsync(() => new JournalWrite(key, null), cancellationToken);
    }

    private Exception? ApplyJournal(JournalWrite write)
    {
        if (write.Payload is null)
        {
            _engine.Delete(StoreDocuments.Journal, [new BsonValue(write.Key)]);
            _redo.RecordDelete(StoreDocuments.Journal, write.Key);
        }
        else
        {
            Put(StoreDocuments.Journal, write.Key, write.Payload, write.Checksum!);
        }

        return null;
    }

    private byte[]? ReadJournal(string key)
    {
        byte[] id = StoreDocuments.JournalKey(key);
        BsonDocument? document = FindById(StoreDocuments.Journal, id);
        return document is null ? null : StoreDocuments.Verify(document, id, $"journal entry {key}");
    }

    private List<JournalEntry> ReadJournalPrefix(string prefix)
    {
        // UTF-8 never contains 0xFF, so [prefix, prefix + 0xFF] covers exactly the keys that start with it.
        byte[] first = StoreDocuments.JournalKey(prefix);
        byte[] last = [.. first, 0xFF];
        var query = new Query { OrderBy = "_id" };
        query.Where.Add(StoreDocuments.IdBetween(first, last));
        var documents = new List<BsonDocument>();
        using (IBsonDataReader reader = _engine.Query(StoreDocuments.Journal, query))
        {
            while (reader.Read())
            {
                documents.Add(reader.Current.AsDocument);
            }
        }

        var entries = new List<JournalEntry>(documents.Count);
        foreach (BsonDocument document in documents)
        {
            BsonValue id = document["_id"];
            if (!id.IsBinary)
            {
                throw StoreDocuments.Corrupt("journal", "an entry has a malformed key");
            }

            string key;
            try
            {
                key = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(id.AsBinary);
            }
            catch (ArgumentException)
            {
                throw StoreDocuments.Corrupt("journal", "an entry's key is not UTF-8");
            }

            entries.Add(new JournalEntry(key, StoreDocuments.Verify(document, id.AsBinary, $"journal entry {key}")));
        }

        return entries;
    }
}
