using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace StateChannels.Testing;

/// <summary>
/// An <see cref="IChannelStore"/> in memory, with the semantics of the durable stores: records are
/// kept as <see cref="RecordCodec"/> bytes with a SHA-256 checksum verified on every read, batches
/// are atomic, a conflicting history entry fails its whole batch, pruning never removes a state
/// at or above <c>min(Latest.State.Version, LastSigned.State.Version)</c> of the channel's record,
/// and history retention works as in the LiteDB store. A write is "durable" when its call returns.
/// <para>Thread-safe. Fault injection for tests: <see cref="FailNextWrite"/>, <see cref="BeforeWrite"/>,
/// <see cref="CorruptChannel"/>, <see cref="CorruptState"/>, <see cref="RewriteChannelPayload"/>,
/// <see cref="RewriteStatePayload"/>; <see cref="Restart"/> models a process restart.</para>
/// </summary>
public sealed partial class InMemoryChannelStore : IChannelStore
{
    private const int MaxCursorNameLength = 256;

    private readonly object _gate = new();
    private readonly int? _historyRetention;
    private readonly Dictionary<ChannelId, Entry> _channels = [];
    private readonly Dictionary<ChannelId, SortedDictionary<ulong, Entry>> _states = [];
    private readonly Dictionary<string, ulong> _cursors = new(StringComparer.Ordinal);
    private readonly Queue<Exception> _injectedFailures = new();
    private long _writes;
    private bool _disposed;

    /// <summary>Creates an empty store.</summary>
    /// <param name="historyRetention">
    /// Versions of history to keep per channel, counting back from the highest stored one (at least 1);
    /// null keeps everything, as <c>LiteDbStoreOptions.HistoryRetention</c>.
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="historyRetention"/> is below 1.</exception>
    public InMemoryChannelStore(int? historyRetention = null)
    {
        if (historyRetention is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(historyRetention), historyRetention, "Retention keeps at least one version.");
        }

        _historyRetention = historyRetention;
    }

    /// <inheritdoc/>
    public async ValueTask WriteAsync(StoreBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();

        // Encode first, as a durable store does, so both refuse the same batches.
        var records = new List<(ChannelRecord Record, Entry Entry)>(batch.Channels.Count);
        foreach (ChannelRecord? record in batch.Channels)
        {
            ArgumentNullException.ThrowIfNull(record, nameof(batch));
            records.Add((record, new Entry(RecordCodec.EncodeChannel(record))));
        }

        var states = new Dictionary<(ChannelId Id, ulong Version), Entry>();
        foreach (SignedState? state in batch.History)
        {
            ArgumentNullException.ThrowIfNull(state, nameof(batch));
            var key = (state.State.ChannelId, state.State.Version);
            var entry = new Entry(RecordCodec.EncodeState(state));
            if (states.TryGetValue(key, out Entry? earlier))
            {
                if (!earlier.SamePayload(entry))
                {
                    throw Conflict(key.ChannelId, key.Version);
                }

                continue;
            }

            states.Add(key, entry);
        }

        await BeforeWriteAsync(cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            ThrowIfDisposed();
            ThrowIfFailureInjected();
            foreach (((ChannelId id, ulong version), Entry entry) in states)
            {
                if (_states.TryGetValue(id, out var history) && history.TryGetValue(version, out Entry? stored))
                {
                    _ = stored.Verify($"state {version} of channel {id}");
                    if (!stored.SamePayload(entry))
                    {
                        throw Conflict(id, version);
                    }
                }
            }

            foreach (((ChannelId id, ulong version), Entry entry) in states)
            {
                if (!_states.TryGetValue(id, out var history))
                {
                    _states[id] = history = [];
                }

                history.TryAdd(version, entry);
            }

            foreach ((ChannelRecord record, Entry entry) in records)
            {
                _channels[record.Id] = entry;
            }

            if (_historyRetention is int keep)
            {
                var written = new Dictionary<ChannelId, ChannelRecord?>();
                foreach ((ChannelId id, _) in states.Keys)
                {
                    written.TryAdd(id, null);
                }

                foreach ((ChannelRecord record, _) in records)
                {
                    written[record.Id] = record;
                }

                foreach ((ChannelId id, ChannelRecord? record) in written)
                {
                    ApplyRetentionLocked(id, record, keep);
                }
            }

            _writes++;
        }
    }

    /// <inheritdoc/>
    public ValueTask<ChannelRecord?> GetChannelAsync(ChannelId id, CancellationToken cancellationToken = default) =>
        ReadAsync(() => ReadChannelLocked(id), cancellationToken);

    /// <inheritdoc/>
    public async IAsyncEnumerable<ChannelRecord> GetChannelsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        List<ChannelRecord> records;
        lock (_gate)
        {
            ThrowIfDisposed();
            records = _channels.Keys.Order().Select(id => ReadChannelLocked(id)!).ToList();
        }

        foreach (ChannelRecord record in records)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return record;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public ValueTask<SignedState?> GetStateAsync(ChannelId id, ulong version, CancellationToken cancellationToken = default) =>
        ReadAsync(
            () => _states.TryGetValue(id, out var history) && history.TryGetValue(version, out Entry? entry)
                ? DecodeState(entry, id, version)
                : null,
            cancellationToken);

    /// <inheritdoc/>
    public async IAsyncEnumerable<SignedState> GetHistoryAsync(
        ChannelId id, ulong fromVersion = 0, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        List<SignedState> states;
        lock (_gate)
        {
            ThrowIfDisposed();
            states = _states.TryGetValue(id, out var history)
                ? history.Where(kv => kv.Key >= fromVersion).Select(kv => DecodeState(kv.Value, id, kv.Key)).ToList()
                : [];
        }

        foreach (SignedState state in states)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return state;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask PruneHistoryAsync(ChannelId id, ulong belowVersion, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();
        await BeforeWriteAsync(cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            ThrowIfDisposed();
            ThrowIfFailureInjected();
            ChannelRecord? record = ReadChannelLocked(id);
            DeleteBelowLocked(id, Math.Min(belowVersion, PruneCap(record)));
            _writes++;
        }
    }

    /// <inheritdoc/>
    public ValueTask<ulong?> GetCursorAsync(string name, CancellationToken cancellationToken = default)
    {
        ValidateCursorName(name);
        return ReadAsync(() => _cursors.TryGetValue(name, out ulong value) ? value : (ulong?)null, cancellationToken);
    }

    /// <inheritdoc/>
    public async ValueTask SetCursorAsync(string name, ulong value, CancellationToken cancellationToken = default)
    {
        ValidateCursorName(name);
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();
        await BeforeWriteAsync(cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            ThrowIfDisposed();
            ThrowIfFailureInjected();
            _cursors[name] = value;
            _writes++;
        }
    }

    /// <summary>Closes the store: later calls throw <see cref="ObjectDisposedException"/>. The content stays available to <see cref="Restart"/>.</summary>
    /// <returns>A completed task.</returns>
    public ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            _disposed = true;
        }

        return ValueTask.CompletedTask;
    }

    private static ulong PruneCap(ChannelRecord? record) => record switch
    {
        null => ulong.MaxValue,
        { Latest: null } => 0,
        { Latest: { } latest, LastSigned: var signed } => Math.Min(latest.State.Version, signed?.State.Version ?? ulong.MaxValue),
    };

    private static void ValidateCursorName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(name.Length, MaxCursorNameLength, nameof(name));
    }

    private static StateChannelException Conflict(ChannelId id, ulong version) => new(
        ErrorCode.StorageFailure,
        $"Channel {id} already holds a different signed state at version {version}; the batch was not written.");

    private static SignedState DecodeState(Entry entry, ChannelId id, ulong version)
    {
        string what = $"state {version} of channel {id}";
        SignedState state = Decode(() => RecordCodec.DecodeState(entry.Verify(what)), what);
        if (state.State.ChannelId != id || state.State.Version != version)
        {
            throw new StateChannelException(ErrorCode.StorageFailure, $"The stored {what} holds another state.");
        }

        return state;
    }

    private static T Decode<T>(Func<T> decode, string what)
    {
        try
        {
            return decode();
        }
        catch (StateChannelException ex) when (ex.Code == ErrorCode.InvalidFormat)
        {
            throw new StateChannelException(ErrorCode.StorageFailure, $"The stored {what} does not decode ({ex.Message}).", ex);
        }
    }

    private ChannelRecord? ReadChannelLocked(ChannelId id)
    {
        if (!_channels.TryGetValue(id, out Entry? entry))
        {
            return null;
        }

        string what = $"record of channel {id}";
        ChannelRecord record = Decode(() => RecordCodec.DecodeChannel(entry.Verify(what)), what);
        return record.Id == id
            ? record
            : throw new StateChannelException(ErrorCode.StorageFailure, $"The stored {what} holds channel {record.Id}.");
    }

    private void ApplyRetentionLocked(ChannelId id, ChannelRecord? record, int keep)
    {
        if (record is null)
        {
            try
            {
                record = ReadChannelLocked(id);
            }
            catch (StateChannelException)
            {
                return;
            }
        }

        if (record is null || !_states.TryGetValue(id, out var history) || history.Count == 0)
        {
            return;
        }

        ulong highest = history.Keys.Max();
        if (highest >= (ulong)keep)
        {
            DeleteBelowLocked(id, Math.Min(highest - (ulong)keep + 1, PruneCap(record)));
        }
    }

    private void DeleteBelowLocked(ChannelId id, ulong belowVersion)
    {
        if (_states.TryGetValue(id, out var history))
        {
            foreach (ulong version in history.Keys.Where(v => v < belowVersion).ToList())
            {
                history.Remove(version);
            }
        }
    }

    private ValueTask<T> ReadAsync<T>(Func<T> read, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<T>(cancellationToken);
        }

        try
        {
            lock (_gate)
            {
                ThrowIfDisposed();
                return ValueTask.FromResult(read());
            }
        }
        catch (Exception ex)
        {
            return ValueTask.FromException<T>(ex);
        }
    }

    private async ValueTask BeforeWriteAsync(CancellationToken cancellationToken)
    {
        if (BeforeWrite is { } hook)
        {
            await hook(cancellationToken).ConfigureAwait(false);
        }
    }

    private void ThrowIfFailureInjected()
    {
        if (_injectedFailures.TryDequeue(out Exception? failure))
        {
            throw failure;
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    /// <summary>Stored bytes and the checksum written beside them.</summary>
    private sealed class Entry(byte[] payload, byte[]? checksum = null)
    {
        public byte[] Payload { get; } = payload;

        private byte[] Checksum { get; } = checksum ?? SHA256.HashData(payload);

        public bool SamePayload(Entry other) => Payload.AsSpan().SequenceEqual(other.Payload);

        public byte[] Verify(string what) =>
            SHA256.HashData(Payload).AsSpan().SequenceEqual(Checksum)
                ? Payload
                : throw new StateChannelException(ErrorCode.StorageFailure, $"The stored {what} is corrupt: its checksum does not match its content.");

        public Entry Corrupted()
        {
            byte[] flipped = Payload.ToArray();
            flipped[flipped.Length / 2] ^= 0x01;
            return new Entry(flipped, Checksum);
        }
    }
}
