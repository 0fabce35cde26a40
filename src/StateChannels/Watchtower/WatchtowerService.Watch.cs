namespace StateChannels;

/// <content>The tower's watcher loop and its connection to feeders.</content>
public partial class WatchtowerService
{
    /// <summary>
    /// Watches until cancelled: one look at every held channel (catching up after downtime), then
    /// each <see cref="WatchtowerOptions.ChainPollInterval"/> the channels that new confirmed events
    /// touch (from the durable cursor <see cref="CursorName"/>, reorg-aware), those in dispute, those
    /// handed over (a new channel or a higher version) since the last pass, and those whose last look failed.
    /// Refutes with the held state when it is higher than the registered one; otherwise tries to
    /// conclude (the contract refuses before the deadline). One channel's failure never stops the others.
    /// </summary>
    public virtual async Task RunAsync(CancellationToken cancellationToken = default)
    {
        var follower = new ChainFollower(
            _chainEvents,
            _store,
            new ChainFollowerSettings(CursorName, _options.ReorgDepth, _options.MaxBlockRange, _options.StaleChainThreshold),
            _time,
            _logger);
        follower.StaleChanged += (stale, reason) => _events.Publish(stale ? new ChainStale(reason) : new ChainFresh(reason));
        await follower.StartAsync(cancellationToken).ConfigureAwait(false);

        // Catch up after downtime: every held channel is due once, taken a slice per pass so that
        // events (a registration made meanwhile) are read between slices, not after the whole sweep.
        foreach (var id in _channels.Keys)
        {
            MarkDue(id);
        }

        while (true)
        {
            try
            {
                await follower.PollAsync(ids => WatchAsync(ids, cancellationToken), cancellationToken).ConfigureAwait(false);
            }
            catch (StateChannelException e)
            {
                if (e.Code is ErrorCode.ChainRpcFailure or ErrorCode.Timeout)
                {
                    follower.NoteFailure(e.Message);
                }

                Log.ChainPollFailed(_logger, e.Code, e.Message);
            }

            // Disputes need a look after their deadline, which no event announces: each one not
            // already marked joins the back of the queue. Marked channels are looked at a slice at a
            // time, oldest first, so however many channels a client hands over or registers, a new
            // registration's event is read after at most one slice.
            foreach (var (id, entry) in _channels)
            {
                if (entry.Record?.Phase == ChannelPhase.Disputed && !_retry.ContainsKey(id))
                {
                    MarkDue(id);
                }
            }

            var slice = _retry.OrderBy(kv => kv.Value).Take(_options.MaxLooksPerPass).Select(kv => kv.Key).ToList();
            await WatchAsync(slice, cancellationToken).ConfigureAwait(false);
            await Task.Delay(_options.ChainPollInterval, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Serves one authenticated feeder connection until it closes or <paramref name="cancellationToken"/>
    /// is cancelled: each frame is a submitted state, answered with a receipt. A malformed frame
    /// ends the connection; nothing a client sends can make the tower throw.
    /// </summary>
    /// <param name="connection">An authenticated connection; its <see cref="IMessageConnection.Peer"/> is the client.</param>
    /// <param name="cancellationToken">Ends serving.</param>
    public virtual async Task RunConnectionAsync(IMessageConnection connection, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        try
        {
            while (true)
            {
                var frame = await connection.ReceiveAsync(cancellationToken).ConfigureAwait(false);
                if (frame is null)
                {
                    return;
                }

                if (!WatchtowerCodec.TryDecodeSubmit(frame.Value.Span, out var p, out var s, out var why))
                {
                    Log.TowerDroppedClient(_logger, connection.Peer, why);
                    return;
                }

                var receipt = await SubmitAsync(connection.Peer, p!, s!, cancellationToken).ConfigureAwait(false);
                await connection.SendAsync(WatchtowerCodec.EncodeReceipt(receipt), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (StateChannelException e)
        {
            Log.TowerDroppedClient(_logger, connection.Peer, $"{e.Code}: {e.Message}");
        }
        finally
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task WatchAsync(IEnumerable<ChannelId> ids, CancellationToken cancellationToken)
    {
        foreach (var id in ids)
        {
            if (!_channels.TryGetValue(id, out var entry) || entry.Record is null)
            {
                continue; // not a channel this tower watches
            }

            var mark = _retry.TryGetValue(id, out var t) ? t : (long?)null;
            try
            {
                await WatchOneAsync(entry, cancellationToken).ConfigureAwait(false);
                if (mark is { } m)
                {
                    _retry.TryRemove(new KeyValuePair<ChannelId, long>(id, m)); // a mark set during the look stays
                }
            }
            catch (StateChannelException e)
            {
                MarkDue(id);
                Log.WatchFailed(_logger, id, e.Code, e.Message);
            }
        }
    }

    private async Task WatchOneAsync(Entry entry, CancellationToken cancellationToken)
    {
        var record = entry.Record!;
        if (record.Phase == ChannelPhase.Closed)
        {
            return;
        }

        var latest = record.Latest!;
        var view = await _adjudicator.GetChannelAsync(record.Params, cancellationToken).ConfigureAwait(false);
        if (view.Concluded)
        {
            await MoveAsync(entry, ChannelPhase.Closed, cancellationToken).ConfigureAwait(false);
            _events.Publish(new ChannelClosed(record.Id, view.RegisteredVersion ?? latest.State.Version));
            return;
        }

        if (view.RegisteredVersion is not { } registered)
        {
            return;
        }

        if (record.Phase != ChannelPhase.Disputed)
        {
            await MoveAsync(entry, ChannelPhase.Disputed, cancellationToken).ConfigureAwait(false);
            _events.Publish(new DisputeSeen(record.Id, registered));
        }

        switch (await DisputeStep.RunAsync(_adjudicator, record.Params, latest, registered, cancellationToken).ConfigureAwait(false))
        {
            case DisputeOutcome.Refuted:
                Log.TowerRefuted(_logger, record.Id, registered, latest.State.Version);
                _events.Publish(new DisputeRefuted(record.Id, registered, latest.State.Version));
                break;
            case DisputeOutcome.Concluded:
                await MoveAsync(entry, ChannelPhase.Closed, cancellationToken).ConfigureAwait(false);
                _events.Publish(new ChannelClosed(record.Id, registered));
                break;
        }
    }

    private async Task MoveAsync(Entry entry, ChannelPhase to, CancellationToken cancellationToken)
    {
        await entry.Lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var record = entry.Record!;
            if (record.Phase == to)
            {
                return;
            }

            var next = record with { Phase = to, UpdatedAt = _time.GetUtcNow() };
            await _store.WriteAsync(StoreBatch.Of(next), cancellationToken).ConfigureAwait(false);
            entry.Record = next;
        }
        finally
        {
            entry.Lock.Release();
        }
    }
}
