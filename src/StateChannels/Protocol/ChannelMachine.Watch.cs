namespace StateChannels.Protocol;

/// <content>The watcher's view of one channel: refute a stale registration, conclude after the deadline, submit a forgotten close.</content>
internal sealed partial class ChannelMachine
{
    /// <summary>
    /// Whether the event-driven watcher must look at this channel on every poll, with or without an
    /// event: a dispute (its deadline comes with no event), or a co-signed final state that nobody
    /// has submitted once <see cref="StateChannelClientOptions.CloseSubmitDelay"/> has passed.
    /// </summary>
    public bool NeedsPolling(DateTimeOffset now)
    {
        var record = Record;
        return record.Phase == ChannelPhase.Disputed || FinalStateDue(record, now);
    }

    /// <summary>
    /// One look at the chain. Every channel for which we hold a signature is looked at, whatever its
    /// phase (a peer may register version 0 while we still wait for its Confirm: THREATS G1).
    /// Concluded: Closed. Registered: Disputed; then, if our latest fully signed state is higher,
    /// register it (a refute: strictly higher, before the deadline). That holds for a copy known to
    /// be behind too: a strictly higher version only narrows the cheater's options; only starting a
    /// dispute from a stale copy is unsafe (G7). Otherwise try to conclude (the contract refuses
    /// before the deadline; estimation of a refused call costs nothing), also when a refute is refused
    /// because its deadline has passed (<see cref="DisputeStep"/>). Nothing registered: submit
    /// a final state we co-signed that the peer never submitted (G6). Idempotent: safe to call as
    /// often as wanted, from a restart too.
    /// </summary>
    public async Task WatchOnceAsync(CancellationToken cancellationToken)
    {
        var record = Record;
        if (record.Phase == ChannelPhase.Closed || (record.Latest is null && record.LastSigned is null))
        {
            return; // closed, or we never signed anything that could be on chain
        }

        var chain = _engine.Adjudicator;
        var view = await chain.GetChannelAsync(Params, cancellationToken).ConfigureAwait(false);
        if (view.IsSettling)
        {
            await LockedAsync(() => NoteSettlingLockedAsync(view), cancellationToken).ConfigureAwait(false);
        }

        if (view.Concluded)
        {
            return;
        }

        if (view.RegisteredVersion is not { } registered)
        {
            await SubmitForgottenCloseAsync(cancellationToken).ConfigureAwait(false);
            await RefundAsync(view, cancellationToken).ConfigureAwait(false); // an Aborted channel whose refund never started
            return;
        }

        var latest = Record.Latest;
        switch (await DisputeStep.RunAsync(chain, Params, latest, registered, cancellationToken).ConfigureAwait(false))
        {
            case DisputeOutcome.Refuted:
                _engine.Metrics.DisputeRefuted();
                _engine.Events.Publish(new DisputeRefuted(Id, registered, latest!.State.Version));
                break;
            case DisputeOutcome.Concluded:
                await LockedAsync(() => MoveAsync(ChannelPhase.Closed), cancellationToken).ConfigureAwait(false);
                _engine.Events.Publish(new ChannelClosed(Id, registered));
                break;
        }
    }

    /// <summary>
    /// The chain shows the channel settling: move to Closed (concluded) or Disputed (registered),
    /// from any phase, and say so once. Pending payments fail (<see cref="MoveAsync"/>). The caller
    /// holds the lock.
    /// </summary>
    private async Task NoteSettlingLockedAsync(OnChainChannel view)
    {
        if (view.Concluded)
        {
            if (_record.Phase != ChannelPhase.Closed)
            {
                await MoveAsync(ChannelPhase.Closed).ConfigureAwait(false);
                _engine.Events.Publish(new ChannelClosed(Id, view.RegisteredVersion ?? Latest?.Version ?? 0));
            }
        }
        else if (view.RegisteredVersion is { } registered && _record.Phase is not (ChannelPhase.Disputed or ChannelPhase.Closed))
        {
            await MoveAsync(ChannelPhase.Disputed).ConfigureAwait(false);
            _engine.Events.Publish(new DisputeSeen(Id, registered));
        }
    }

    /// <summary>
    /// A final state we co-signed is not on chain: the peer asked for the close and normally submits
    /// it at once. After <see cref="StateChannelClientOptions.CloseSubmitDelay"/> we submit it
    /// ourselves (one transaction pays both; during funding it is the quickest refund), so a peer that
    /// never submits cannot leave our money in the channel (THREATS G6).
    /// </summary>
    private async Task SubmitForgottenCloseAsync(CancellationToken cancellationToken)
    {
        var record = Record;
        if (!FinalStateDue(record, _engine.Time.GetUtcNow()) || record.Latest is not { } final)
        {
            return;
        }

        try
        {
            await _engine.Adjudicator.CloseAsync(Params, final, cancellationToken).ConfigureAwait(false);
        }
        catch (StateChannelException e) when (e.Code == ErrorCode.TransactionFailed)
        {
            return; // the peer's close (or a registration) won; the next look sees it
        }

        await LockedAsync(() => MoveAsync(ChannelPhase.Closed), cancellationToken).ConfigureAwait(false);
        _engine.Events.Publish(new ChannelClosed(Id, final.State.Version));
    }

    private bool FinalStateDue(ChannelRecord record, DateTimeOffset now) =>
        record.Phase == ChannelPhase.Closing
        && record.Latest is { State.IsFinal: true }
        && now - record.PhaseStart >= _engine.Options.CloseSubmitDelay;
}
