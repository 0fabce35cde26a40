namespace StateChannels.Protocol;

/// <content>The watcher's view of one channel: refute a stale registration, conclude after the deadline.</content>
internal sealed partial class ChannelMachine
{
    /// <summary>
    /// One look at the chain. If the peer registered a state older than our latest fully signed
    /// state, register ours (a refute: strictly higher, before the deadline). If the registered state
    /// is our latest, try to conclude (the contract refuses before the deadline; estimation of a
    /// refused call costs nothing). Idempotent: safe to call as often as wanted, from a restart too.
    /// Never disputes with a copy known to be behind.
    /// </summary>
    public async Task WatchOnceAsync(CancellationToken cancellationToken)
    {
        var record = Record;
        if (record.Latest is not { } latest || record.Phase is ChannelPhase.Proposed or ChannelPhase.Closed)
        {
            return;
        }

        var chain = _engine.Adjudicator;
        var view = await chain.GetChannelAsync(Params, cancellationToken).ConfigureAwait(false);
        if (view.Concluded)
        {
            await LockedAsync(() => MoveAsync(ChannelPhase.Closed), cancellationToken).ConfigureAwait(false);
            _engine.Events.Publish(new ChannelClosed(Id, view.RegisteredVersion ?? latest.State.Version));
            return;
        }

        if (view.RegisteredVersion is not { } registered)
        {
            return;
        }

        if (record.Phase != ChannelPhase.Disputed)
        {
            await LockedAsync(() => MoveAsync(ChannelPhase.Disputed), cancellationToken).ConfigureAwait(false);
            _engine.Events.Publish(new DisputeSeen(Id, registered));
        }

        if (record.FallenBehind)
        {
            return; // a stale copy must never be registered; sync from the peer first
        }

        try
        {
            if (latest.State.Version > registered)
            {
                await chain.RegisterAsync(Params, latest, cancellationToken).ConfigureAwait(false);
                _engine.Metrics.DisputeRefuted();
                _engine.Events.Publish(new DisputeRefuted(Id, registered, latest.State.Version));
            }
            else
            {
                await chain.ConcludeAsync(Params, cancellationToken).ConfigureAwait(false);
                await LockedAsync(() => MoveAsync(ChannelPhase.Closed), cancellationToken).ConfigureAwait(false);
                _engine.Events.Publish(new ChannelClosed(Id, registered));
            }
        }
        catch (StateChannelException e) when (e.Code == ErrorCode.TransactionFailed)
        {
            // Refused: before the deadline (conclude), after it (refute), or a competing
            // transaction won. The next look sees the new situation.
        }
    }
}
