using Microsoft.Extensions.Logging;

namespace StateChannels.Protocol;

/// <content>The chain side of a channel: phase moves, closing, disputes (funding: ChannelMachine.Funding.cs).</content>
internal sealed partial class ChannelMachine
{
    private async Task MoveAsync(ChannelPhase to)
    {
        if (_record.Phase == to)
        {
            return;
        }

        ChannelPhases.EnsureCanMove(Id, _record.Phase, to);
        await PersistAsync(_record with { Phase = to }).ConfigureAwait(false);
        CountMove(to);
        if (to == ChannelPhase.Active)
        {
            _engine.Events.Publish(new ChannelFunded(Id));
            await StartNextAsync().ConfigureAwait(false);
        }
        else if (to is ChannelPhase.Disputed or ChannelPhase.Closed or ChannelPhase.Aborted)
        {
            FailPendingWork(to);
        }
    }

    /// <summary>
    /// The channel left the phase where updates happen: every payment still queued or in flight,
    /// and a pending close, fails now instead of waiting forever. An unsigned proposal of ours is
    /// dropped first, so a late answer from the peer cannot complete it (we never signed it: the
    /// payment was not made, and the caller is told so).
    /// </summary>
    private void FailPendingWork(ChannelPhase phase)
    {
        if (_inflight is { State.Version: 0 })
        {
            return; // opening: its own waiter handles it
        }

        AbandonInflight();
        var error = new StateChannelException(ErrorCode.WrongPhase, $"channel {Id} is {phase}: not done");
        foreach (var payment in _queue)
        {
            payment.Completion.TrySetException(error);
        }

        _queue.Clear();
        _pendingClose?.TrySetException(error);
        _pendingClose = null;
    }

    /// <summary>Cooperative close: sign the final state with the peer, then one transaction pays both out.</summary>
    public async Task CloseAsync(CancellationToken cancellationToken)
    {
        var final = await SignFinalAsync(cancellationToken).ConfigureAwait(false);
        var view = await _engine.Adjudicator.GetChannelAsync(Params, cancellationToken).ConfigureAwait(false);
        if (!view.Concluded)
        {
            await _engine.Adjudicator.CloseAsync(Params, final, cancellationToken).ConfigureAwait(false);
        }

        await LockedAsync(() => MoveAsync(ChannelPhase.Closed), cancellationToken).ConfigureAwait(false);
        _engine.Events.Publish(new ChannelClosed(Id, final.State.Version));
    }

    /// <summary>
    /// Unilateral close: register our latest fully signed state, wait out the challenge period
    /// (by block time), conclude and get paid. Refuses while our copy is known to be behind.
    /// </summary>
    public async Task ForceCloseAsync(CancellationToken cancellationToken)
    {
        var latest = await LockedAsync(() =>
        {
            EnsureNotBehind();

            var full = _record.Latest ?? throw new StateChannelException(ErrorCode.WrongPhase, $"channel {Id} has no signed state");
            AbandonInflight();
            return Task.FromResult(full);
        }, cancellationToken).ConfigureAwait(false);

        var chain = _engine.Adjudicator;
        var view = await chain.GetChannelAsync(Params, cancellationToken).ConfigureAwait(false);
        if (!view.Concluded)
        {
            if (latest.State.IsFinal)
            {
                await chain.CloseAsync(Params, latest, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                if (view.RegisteredVersion is null || view.RegisteredVersion < latest.State.Version)
                {
                    await chain.RegisterAsync(Params, latest, cancellationToken).ConfigureAwait(false);
                }

                await LockedAsync(() => MoveAsync(ChannelPhase.Disputed), cancellationToken).ConfigureAwait(false);
                _engine.Events.Publish(new DisputeSeen(Id, latest.State.Version));
                while (true)
                {
                    view = await chain.GetChannelAsync(Params, cancellationToken).ConfigureAwait(false);
                    if (view.Concluded)
                    {
                        break;
                    }

                    try
                    {
                        await chain.ConcludeAsync(Params, cancellationToken).ConfigureAwait(false);
                        break;
                    }
                    catch (StateChannelException e) when (e.Code == ErrorCode.TransactionFailed)
                    {
                        // Before the deadline the contract refuses: wait and try again.
                        await Task.Delay(_engine.Options.ChainPollInterval, _engine.Time, cancellationToken).ConfigureAwait(false);
                    }
                }
            }
        }

        await LockedAsync(() => MoveAsync(ChannelPhase.Closed), cancellationToken).ConfigureAwait(false);
        _engine.Events.Publish(new ChannelClosed(Id, latest.State.Version));
    }

    /// <summary>Withdraws credited payouts of this channel's asset.</summary>
    public async Task WithdrawAsync(CancellationToken cancellationToken) =>
        await _engine.Adjudicator.WithdrawAsync(Params.Asset, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// A copy known to be behind (a restored backup, a record that failed verification) proposes,
    /// closes and disputes nothing until the peer's reestablish syncs it: what it lost may hold our
    /// signature at the very version it would use.
    /// </summary>
    private void EnsureNotBehind()
    {
        if (_record.FallenBehind)
        {
            throw new StateChannelException(ErrorCode.FallenBehind, $"channel {Id}: our copy is behind; it syncs from the peer first");
        }
    }

    private void CountMove(ChannelPhase to)
    {
        switch (to)
        {
            case ChannelPhase.Active:
                _engine.Metrics.ChannelOpened();
                break;
            case ChannelPhase.Disputed:
                _engine.Metrics.DisputeSeen();
                break;
            case ChannelPhase.Closed:
                _engine.Metrics.ChannelClosed();
                break;
        }
    }
}
