using System.Collections.Concurrent;
using StateChannels.Protocol;

namespace StateChannels;

/// <content>The watcher: refutes stale registrations and concludes disputes, from chain events or by polling.</content>
public partial class StateChannelClient
{
    /// <summary>The store cursor that holds the watcher's last processed block.</summary>
    public const string WatcherCursorName = "watcher.block";

    /// <summary>Channels whose last look failed (an RPC error): looked at again on every poll until one succeeds.</summary>
    private readonly ConcurrentDictionary<ChannelId, byte> _retry = new();

    /// <summary>
    /// The watcher: until cancelled, refutes any registration older than our latest fully signed
    /// state and concludes once the deadline has passed. Run it whenever the client runs — a client
    /// that is offline for longer than the challenge period must delegate this to a watchtower.
    /// One channel's failure never stops the others.
    /// <para>With an <see cref="IChainEventSource"/> (see the <c>CreateAsync</c> overload that takes one)
    /// it first looks at every channel (catching up after downtime), then each
    /// <see cref="StateChannelClientOptions.ChainPollInterval"/> reads the confirmed blocks since its
    /// durable cursor and looks at the channels their events touch, plus channels in dispute; it
    /// raises <see cref="ChainStale"/>/<see cref="ChainFresh"/>. Without one it looks at every
    /// channel on every poll. Either way it acts on the channel's on-chain view, never on event content.</para>
    /// </summary>
    public virtual async Task RunWatcherAsync(CancellationToken cancellationToken = default)
    {
        if (_chainEvents is null)
        {
            while (true)
            {
                await WatchOnceAsync(cancellationToken).ConfigureAwait(false);
                await Task.Delay(_engine.Options.ChainPollInterval, _engine.Time, cancellationToken).ConfigureAwait(false);
            }
        }

        var options = _engine.Options;
        var follower = new ChainFollower(
            _chainEvents,
            _engine.Store,
            new ChainFollowerSettings(WatcherCursorName, options.ReorgDepth, options.MaxBlockRange, options.StaleChainThreshold),
            _engine.Time,
            _engine.Logger);
        follower.StaleChanged += (stale, reason) =>
            _engine.Events.Publish(stale ? new ChainStale(reason) : new ChainFresh(reason));

        // Catch up after downtime: whatever happened while we were away, look at every channel once.
        // The follower's start is fixed first, so events during the sweep are read afterwards.
        await follower.StartAsync(cancellationToken).ConfigureAwait(false);
        await WatchOnceAsync(cancellationToken).ConfigureAwait(false);
        while (true)
        {
            await WatchEventsOnceAsync(follower, cancellationToken).ConfigureAwait(false);
            await Task.Delay(options.ChainPollInterval, _engine.Time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>One poll of the event-driven watcher: new events, then disputed and retried channels.</summary>
    internal async Task WatchEventsOnceAsync(ChainFollower follower, CancellationToken cancellationToken)
    {
        try
        {
            await follower.PollAsync(ids => WatchAsync(ids.Select(Find), cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        catch (StateChannelException e)
        {
            if (e.Code is ErrorCode.ChainRpcFailure or ErrorCode.Timeout)
            {
                follower.NoteFailure(e.Message);
            }

            Log.ChainPollFailed(_engine.Logger, e.Code, e.Message);
        }

        // A dispute needs a look after its deadline, and a forgotten close after its delay: no event announces either.
        var now = _engine.Time.GetUtcNow();
        var due = _channels.Values.Where(m => m.NeedsPolling(now) || _retry.ContainsKey(m.Id)).ToList();
        await WatchAsync(due, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One pass of the watcher over every channel.</summary>
    internal Task WatchOnceAsync(CancellationToken cancellationToken) => WatchAsync(_channels.Values.ToList(), cancellationToken);

    private ChannelMachine? Find(ChannelId id) => _channels.GetValueOrDefault(id);

    private async Task WatchAsync(IEnumerable<ChannelMachine?> machines, CancellationToken cancellationToken)
    {
        foreach (var machine in machines)
        {
            if (machine is null)
            {
                continue; // an event of a channel that is not ours
            }

            try
            {
                await machine.WatchOnceAsync(cancellationToken).ConfigureAwait(false);
                _retry.TryRemove(machine.Id, out _);
            }
            catch (StateChannelException e)
            {
                _retry[machine.Id] = 0;
                Log.WatchFailed(_engine.Logger, machine.Id, e.Code, e.Message);
            }
        }
    }
}
