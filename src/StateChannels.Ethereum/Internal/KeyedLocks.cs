namespace StateChannels.Ethereum.Internal;

/// <summary>
/// Async locks by key, one holder per key at a time, each of which exists only while it is held or
/// awaited: the last holder's release removes it. A dictionary of semaphores that never lets go
/// keeps one per key for the life of the process — with a key per journaled transaction, some
/// 400 bytes (semaphore, key string, node) for every deposit, close or conclusion ever sent (Issue 7).
/// </summary>
internal sealed class KeyedLocks
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>The keys currently held or awaited (for tests).</summary>
    public int Count
    {
        get
        {
            lock (_entries)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Waits until <paramref name="key"/> is ours; dispose the result to let it go.</summary>
    public async ValueTask<Held> LockAsync(string key, CancellationToken cancellationToken)
    {
        var entry = Enter(key);
        try
        {
            await entry.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Leave(key, entry);
            throw;
        }

        return new Held(this, key, entry);
    }

    /// <summary>Takes <paramref name="key"/> if nobody holds it; false (and nothing held) otherwise.</summary>
    public bool TryLock(string key, out Held held)
    {
        var entry = Enter(key);
        if (entry.Gate.Wait(0))
        {
            held = new Held(this, key, entry);
            return true;
        }

        Leave(key, entry);
        held = default;
        return false;
    }

    private Entry Enter(string key)
    {
        lock (_entries)
        {
            if (!_entries.TryGetValue(key, out var entry))
            {
                entry = new Entry();
                _entries.Add(key, entry);
            }

            entry.Users++;
            return entry;
        }
    }

    private void Leave(string key, Entry entry)
    {
        lock (_entries)
        {
            if (--entry.Users == 0)
            {
                _entries.Remove(key);
            }
        }
    }

    /// <summary>A held key: dispose it exactly once to release the key.</summary>
    public readonly struct Held : IDisposable
    {
        private readonly KeyedLocks? _owner;
        private readonly string _key;
        private readonly Entry _entry;

        internal Held(KeyedLocks owner, string key, Entry entry)
        {
            _owner = owner;
            _key = key;
            _entry = entry;
        }

        /// <inheritdoc />
        public void Dispose()
        {
            if (_owner is not null)
            {
                _entry.Gate.Release();
                _owner.Leave(_key, _entry);
            }
        }
    }

    /// <summary>One key's gate and how many hold or await it (guarded by the dictionary's lock).</summary>
    internal sealed class Entry
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);

        public int Users { get; set; }
    }
}
