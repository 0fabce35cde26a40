using Microsoft.Extensions.Logging;

namespace StateChannels;

/// <summary>
/// Follows the adjudicator's events from a durable block cursor: reads confirmed blocks in
/// windows, hands the channels they touch to the caller, then moves the cursor. Reorg-aware: it
/// remembers the hashes of recently processed blocks and, when one was replaced, rewinds to the
/// common ancestor (or by <see cref="ChainFollowerSettings.ReorgDepth"/> blocks when the history
/// does not reach it, and always by that much after a restart). Re-reading a window is harmless:
/// events are hints, handlers are idempotent. Also judges whether the chain view is stale.
/// <para>Not thread-safe: one follower per watcher loop.</para>
/// </summary>
internal sealed class ChainFollower
{
    private readonly IChainEventSource _source;
    private readonly IChannelStore _store;
    private readonly ChainFollowerSettings _settings;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SortedList<ulong, Hash32> _recent = [];
    private ulong? _next;
    private DateTimeOffset? _failingSince;

    public ChainFollower(IChainEventSource source, IChannelStore store, ChainFollowerSettings settings, TimeProvider time, ILogger logger)
    {
        _source = source;
        _store = store;
        _settings = settings;
        _time = time;
        _logger = logger;
    }

    /// <summary>Raised when the chain view turns stale (true, with the reason) or fresh again (false).</summary>
    public event Action<bool, string>? StaleChanged;

    /// <summary>Whether the chain view is currently judged stale.</summary>
    public bool IsStale { get; private set; }

    /// <summary>The next block to read, once known.</summary>
    public ulong? NextBlock => _next;

    /// <summary>
    /// Reads every confirmed block not yet processed and calls <paramref name="handle"/> with the
    /// channels each window touches; the cursor moves (durably) only after <paramref name="handle"/>
    /// returns. Throws <see cref="StateChannelException"/> when the node fails (the cursor stays).
    /// </summary>
    public async Task PollAsync(Func<IReadOnlySet<ChannelId>, Task> handle, CancellationToken cancellationToken)
    {
        ChainHead head;
        try
        {
            head = await _source.GetHeadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (StateChannelException e) when (e.Code is ErrorCode.ChainRpcFailure or ErrorCode.Timeout)
        {
            NoteFailure(e.Message);
            throw;
        }

        NoteHead(head.Head);
        await StartAtAsync(head, cancellationToken).ConfigureAwait(false);

        await CheckReorgAsync(cancellationToken).ConfigureAwait(false);
        while (_next <= head.ConfirmedNumber)
        {
            var from = _next.Value;
            var to = Math.Min(head.ConfirmedNumber, from + (ulong)_settings.MaxBlockRange - 1);
            var before = await BlockAsync(to, cancellationToken).ConfigureAwait(false);
            var events = await _source.GetEventsAsync(from, to, cancellationToken).ConfigureAwait(false);
            var after = await BlockAsync(to, cancellationToken).ConfigureAwait(false);
            if (before.Hash != after.Hash || events.Any(e => e.BlockNumber == to && !e.Removed && e.BlockHash != after.Hash))
            {
                // The window changed under the query (a reorg while reading): read it again next time.
                Log.WindowChanged(_logger, from, to);
                return;
            }

            var touched = new HashSet<ChannelId>();
            foreach (var e in events)
            {
                if (e.BlockNumber < from || e.BlockNumber > to)
                {
                    throw new StateChannelException(
                        ErrorCode.ChainRpcFailure, $"the node returned an event of block {e.BlockNumber} for blocks {from}..{to}");
                }

                // A removed log (reorged out) is a reason to look again, never evidence of anything.
                touched.Add(e.ChannelId);
            }

            await handle(touched).ConfigureAwait(false);

            // Every hash this window revealed helps find the common ancestor after a reorg.
            foreach (var e in events.Where(e => !e.Removed))
            {
                Remember(e.BlockNumber, e.BlockHash);
            }

            if (to > from)
            {
                Remember(to - 1, after.ParentHash);
            }

            Remember(to, after.Hash);
            await _store.SetCursorAsync(_settings.CursorName, to, cancellationToken).ConfigureAwait(false);
            _next = to + 1;
            Log.WindowProcessed(_logger, _settings.CursorName, from, to, touched.Count);
        }
    }

    /// <summary>
    /// Fixes where reading starts, before the caller's start-up sweep of every channel, so nothing
    /// that happens during the sweep is missed: the stored cursor rewound by the reorg depth, or
    /// (first run) the confirmed head rewound by the reorg depth. A node failure here is tolerated:
    /// the first poll decides then, rewinding the same way.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            var head = await _source.GetHeadAsync(cancellationToken).ConfigureAwait(false);
            NoteHead(head.Head);
            await StartAtAsync(head, cancellationToken).ConfigureAwait(false);
        }
        catch (StateChannelException e) when (e.Code is ErrorCode.ChainRpcFailure or ErrorCode.Timeout)
        {
            NoteFailure(e.Message);
        }
    }

    private async Task StartAtAsync(ChainHead head, CancellationToken cancellationToken)
    {
        if (_next is not null)
        {
            return;
        }

        // Re-reading up to ReorgDepth blocks is harmless (events are hints); skipping one is not.
        var cursor = await _store.GetCursorAsync(_settings.CursorName, cancellationToken).ConfigureAwait(false);
        _next = cursor is { } c ? Rewind(c + 1) : Rewind(head.ConfirmedNumber);
        Log.FollowingFrom(_logger, _settings.CursorName, _next.Value, cursor);
    }

    /// <summary>Judges staleness when the node cannot be reached at all (the watcher's loop calls this on failures too).</summary>
    public void NoteFailure(string reason)
    {
        var now = _time.GetUtcNow();
        _failingSince ??= now;
        if (now - _failingSince.Value >= _settings.StaleThreshold)
        {
            SetStale(true, $"the chain RPC has been failing since {_failingSince.Value:O}: {reason}");
        }
    }

    private void NoteHead(ChainBlock head)
    {
        _failingSince = null;
        var lag = _time.GetUtcNow() - head.Timestamp;
        if (lag > _settings.StaleThreshold)
        {
            SetStale(true, $"the head block {head.Number} is {lag} old (threshold {_settings.StaleThreshold})");
        }
        else
        {
            SetStale(false, $"the head block {head.Number} is {lag} old");
        }
    }

    private void SetStale(bool stale, string reason)
    {
        if (stale == IsStale)
        {
            return;
        }

        IsStale = stale;
        if (stale)
        {
            Log.ChainStale(_logger, reason);
        }
        else
        {
            Log.ChainFresh(_logger, reason);
        }

        StaleChanged?.Invoke(stale, reason);
    }

    private async Task CheckReorgAsync(CancellationToken cancellationToken)
    {
        if (_recent.Count == 0)
        {
            return;
        }

        var last = _recent.Keys[^1];
        var current = await _source.GetBlockAsync(last, cancellationToken).ConfigureAwait(false);
        if (current is not null && current.Hash == _recent.Values[^1])
        {
            return;
        }

        ulong? ancestor = null;
        for (var i = _recent.Count - 2; i >= 0; i--)
        {
            var block = await _source.GetBlockAsync(_recent.Keys[i], cancellationToken).ConfigureAwait(false);
            if (block is not null && block.Hash == _recent.Values[i])
            {
                ancestor = _recent.Keys[i];
                break;
            }
        }

        var next = ancestor is { } a ? a + 1 : Rewind(last + 1);
        while (_recent.Count > 0 && _recent.Keys[^1] >= next)
        {
            _recent.RemoveAt(_recent.Count - 1);
        }

        Log.ReorgDetected(_logger, last, next);
        _next = next;
        if (next > 0)
        {
            // Durable, so a crash right now does not skip the replaced blocks.
            await _store.SetCursorAsync(_settings.CursorName, next - 1, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<ChainBlock> BlockAsync(ulong number, CancellationToken cancellationToken) =>
        await _source.GetBlockAsync(number, cancellationToken).ConfigureAwait(false)
        ?? throw new StateChannelException(ErrorCode.ChainRpcFailure, $"the node does not know block {number}, below its confirmed head");

    private ulong Rewind(ulong next) => next > (ulong)_settings.ReorgDepth ? next - (ulong)_settings.ReorgDepth : 0;

    private void Remember(ulong number, Hash32 hash)
    {
        _recent[number] = hash;
        while (_recent.Count > _settings.ReorgDepth)
        {
            _recent.RemoveAt(0);
        }
    }
}
