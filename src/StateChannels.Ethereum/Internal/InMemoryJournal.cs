using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace StateChannels.Ethereum.Internal;

/// <summary>
/// The journal of an adjudicator created without one: the same transaction manager, but its records
/// live only as long as the instance (no restart recovery; nonces still come from the node).
/// </summary>
internal sealed class InMemoryJournal : ITransactionJournal
{
    private readonly ConcurrentDictionary<string, byte[]> _entries = new(StringComparer.Ordinal);

    public ValueTask<byte[]?> GetEntryAsync(string key, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_entries.TryGetValue(key, out var value) ? value.ToArray() : null);

    public async IAsyncEnumerable<JournalEntry> GetEntriesAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.CompletedTask.ConfigureAwait(false);
        foreach (var (key, value) in _entries.Where(e => e.Key.StartsWith(prefix, StringComparison.Ordinal)).OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return new JournalEntry(key, value.ToArray());
        }
    }

    public ValueTask PutEntryAsync(string key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default)
    {
        _entries[key] = value.ToArray();
        return ValueTask.CompletedTask;
    }

    public ValueTask DeleteEntryAsync(string key, CancellationToken cancellationToken = default)
    {
        _entries.TryRemove(key, out _);
        return ValueTask.CompletedTask;
    }
}
