using System.Runtime.CompilerServices;

namespace StateChannels.Testing;

/// <content>The <see cref="ITransactionJournal"/> part: key → bytes records with checksums, "durable" on return.</content>
public sealed partial class InMemoryChannelStore : ITransactionJournal
{
    private readonly SortedDictionary<string, Entry> _journal = new(StringComparer.Ordinal);

    /// <inheritdoc/>
    public ValueTask<byte[]?> GetEntryAsync(string key, CancellationToken cancellationToken = default)
    {
        JournalKeys.Validate(key);
        return ReadAsync(() => _journal.TryGetValue(key, out Entry? entry) ? entry.Verify($"journal entry {key}").ToArray() : null, cancellationToken);
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<JournalEntry> GetEntriesAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        JournalKeys.ValidatePrefix(prefix);
        List<JournalEntry> entries = await ReadAsync(
            () => _journal
                .Where(e => e.Key.StartsWith(prefix, StringComparison.Ordinal))
                .Select(e => new JournalEntry(e.Key, e.Value.Verify($"journal entry {e.Key}").ToArray()))
                .ToList(),
            cancellationToken).ConfigureAwait(false);
        foreach (JournalEntry entry in entries)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return entry;
        }
    }

    /// <inheritdoc/>
    public async ValueTask PutEntryAsync(string key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default)
    {
        JournalKeys.Validate(key);
        JournalKeys.ValidateValue(value);
        var entry = new Entry(value.ToArray());
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();
        await BeforeWriteAsync(cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            ThrowIfDisposed();
            ThrowIfFailureInjected();
            _journal[key] = entry;
            _writes++;
        }
    }

    /// <inheritdoc/>
    public async ValueTask DeleteEntryAsync(string key, CancellationToken cancellationToken = default)
    {
        JournalKeys.Validate(key);
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();
        await BeforeWriteAsync(cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            ThrowIfDisposed();
            ThrowIfFailureInjected();
            _journal.Remove(key);
            _writes++;
        }
    }

    /// <summary>Fault injection: flips a bit of a journal entry's stored bytes (its checksum no longer matches).</summary>
    /// <param name="key">The entry's key.</param>
    /// <exception cref="KeyNotFoundException">No such entry.</exception>
    public void CorruptJournalEntry(string key)
    {
        lock (_gate)
        {
            _journal[key] = _journal[key].Corrupted();
        }
    }

    private void CopyJournalTo(InMemoryChannelStore copy)
    {
        foreach ((string key, Entry entry) in _journal)
        {
            copy._journal.Add(key, entry);
        }
    }
}
