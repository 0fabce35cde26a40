using Microsoft.Extensions.Logging;

namespace StateChannels.Protocol;

/// <content>The chain side of a channel: funding after version 0, closing, disputes.</content>
internal sealed partial class ChannelMachine
{
    /// <summary>Completes when the channel is Active (both deposits confirmed), or throws if funding failed.</summary>
    public Task WhenFundedAsync(CancellationToken cancellationToken)
    {
        var funding = Volatile.Read(ref _funding) ?? Task.CompletedTask;
        return funding.WaitAsync(cancellationToken);
    }

    private void OnFullySigned(SignedState full)
    {
        if (full.State.Version == 0 && _record.Phase == ChannelPhase.Funding)
        {
            StartFunding();
        }
    }

    /// <summary>Starts (or resumes after a restart) our deposit and the wait for both deposits.</summary>
    public void StartFunding()
    {
        if (_funding is null || _funding.IsCompleted)
        {
            var funding = Task.Run(FundAsync);
            _funding = funding;

            // Once the channel is funded nobody needs the task (WhenFundedAsync treats none as done):
            // an idle channel does not keep it. A failed funding keeps it, so waiters see the failure.
            _ = funding.ContinueWith(
                static (done, machine) => Interlocked.CompareExchange(ref ((ChannelMachine)machine!)._funding, null, done),
                this,
                CancellationToken.None,
                TaskContinuationOptions.OnlyOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }

    private async Task FundAsync()
    {
        // Invariant 5: we only get here once version 0 is fully signed and durable.
        CrashPoints.Hit(CrashPoints.FundingV0Durable);
        var chain = _engine.Adjudicator;

        // The funding timeout runs from version 0 becoming durable, not from this (re)start: a
        // client restarted during funding must not push its deadline back each time. The record is
        // written when version 0 is stored and seldom while funding, so its write time is that
        // moment or later: the deadline may come late, never early.
        var since = _record.UpdatedAt == default ? _engine.Time.GetUtcNow() : _record.UpdatedAt;
        var deadline = since + _engine.Options.FundingTimeout;
        var mine = Me == 0 ? Params.Funding0 : Params.Funding1;
        OnChainChannel? view;
        while ((view = await TryGetViewAsync().ConfigureAwait(false)) is null)
        {
            // The node failed or cannot answer at the confirmation depth yet: never guess, look again.
            await AbortIfPastAsync(deadline).ConfigureAwait(false);
            await Task.Delay(_engine.Options.ChainPollInterval, _engine.Time).ConfigureAwait(false);
        }

        var held = Me == 0 ? view.Held0 : view.Held1;
        if (held < mine && _engine.Time.GetUtcNow() < deadline)
        {
            // expectedHeld makes a retried deposit (after a crash) revert instead of paying twice.
            try
            {
                await chain.DepositAsync(Params, Me, held, mine - held).ConfigureAwait(false);
            }
            catch (StateChannelException e) when (e.Code == ErrorCode.TransactionFailed)
            {
                // Reverted: typically on expectedHeld, because a deposit of ours sent before a
                // restart was still unmined when we read the chain and has landed (or is about to).
                // Keep waiting for both deposits below; if ours never arrives, the funding timeout
                // aborts the channel as for a peer that never funds.
                StateChannels.Log.DepositReverted(Log, Id, e.Message);
            }

            CrashPoints.Hit(CrashPoints.FundingDeposited);
        }

        while (!await TryCheckFundedAsync().ConfigureAwait(false))
        {
            await AbortIfPastAsync(deadline).ConfigureAwait(false);
            await Task.Delay(_engine.Options.ChainPollInterval, _engine.Time).ConfigureAwait(false);
        }
    }

    private async Task AbortIfPastAsync(DateTimeOffset deadline)
    {
        if (_engine.Time.GetUtcNow() >= deadline)
        {
            await LockedAsync(() => MoveAsync(ChannelPhase.Aborted)).ConfigureAwait(false);
            _engine.Events.Publish(new FundingTimedOut(Id));
            await StartRefundAsync().ConfigureAwait(false);
            throw new StateChannelException(ErrorCode.Timeout, $"channel {Id}: the peer did not fund within {_engine.Options.FundingTimeout}");
        }
    }

    /// <summary>The on-chain view, or null when the node failed (logged): a failed read is never "not funded" for good.</summary>
    private async Task<OnChainChannel?> TryGetViewAsync()
    {
        try
        {
            return await _engine.Adjudicator.GetChannelAsync(Params).ConfigureAwait(false);
        }
        catch (StateChannelException e) when (e.Code is ErrorCode.ChainRpcFailure or ErrorCode.Timeout)
        {
            StateChannels.Log.FundingReadFailed(Log, Id, e.Code, e.Message);
            return null;
        }
    }

    private async Task<bool> TryCheckFundedAsync()
    {
        try
        {
            return await CheckFundedAsync(lockHeld: false).ConfigureAwait(false);
        }
        catch (StateChannelException e) when (e.Code is ErrorCode.ChainRpcFailure or ErrorCode.Timeout)
        {
            StateChannels.Log.FundingReadFailed(Log, Id, e.Code, e.Message);
            return false;
        }
    }

    /// <summary>
    /// After the funding timeout, starts getting our deposit back (invariant 4): registers version 0,
    /// the only state there is, so that after the challenge period the contract refunds each
    /// participant exactly what it deposited (Adjudicator._payout on an underfunded channel; a
    /// peer deposit that still lands makes version 0 pay the same). The watcher
    /// (<see cref="WatchOnceAsync"/>) or <see cref="ForceCloseAsync"/> concludes after the deadline.
    /// Nothing is sent when we hold nothing, when a state is already registered (the watcher deals
    /// with it) or when our copy is not trusted. A failure is logged, not thrown: the caller is
    /// told about the timeout, and <see cref="ForceCloseAsync"/> retries the registration.
    /// </summary>
    private async Task StartRefundAsync()
    {
        var record = Record;
        if (record.Latest is not { } v0 || record.FallenBehind)
        {
            return;
        }

        try
        {
            var view = await _engine.Adjudicator.GetChannelAsync(Params).ConfigureAwait(false);
            var held = Me == 0 ? view.Held0 : view.Held1;
            if (held.IsZero || view.Concluded || view.RegisteredVersion is not null)
            {
                return;
            }

            await _engine.Adjudicator.RegisterAsync(Params, v0).ConfigureAwait(false);
            await LockedAsync(() => MoveAsync(ChannelPhase.Disputed)).ConfigureAwait(false);
            _engine.Events.Publish(new DisputeSeen(Id, v0.State.Version));
        }
        catch (StateChannelException e)
        {
            StateChannels.Log.RefundNotStarted(Log, Id, e.Code, e.Message);
        }
    }

    /// <summary>Moves Funding to Active if both deposits are confirmed; true when Active.</summary>
    private async Task<bool> CheckFundedAsync(bool lockHeld)
    {
        if (_record.Phase != ChannelPhase.Funding)
        {
            return _record.Phase == ChannelPhase.Active;
        }

        var view = await _engine.Adjudicator.GetChannelAsync(Params).ConfigureAwait(false);
        if (!view.IsFunded(Params))
        {
            return false;
        }

        if (lockHeld)
        {
            await MoveAsync(ChannelPhase.Active).ConfigureAwait(false);
        }
        else
        {
            await LockedAsync(() => _record.Phase == ChannelPhase.Funding ? MoveAsync(ChannelPhase.Active) : Task.CompletedTask).ConfigureAwait(false);
        }

        return true;
    }

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
            if (_record.FallenBehind)
            {
                throw new StateChannelException(ErrorCode.FallenBehind, $"channel {Id}: our copy is behind; sync from the peer before disputing");
            }

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
