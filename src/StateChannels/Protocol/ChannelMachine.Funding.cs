namespace StateChannels.Protocol;

/// <content>
/// Funding after version 0: our deposit, the wait for both, and the move to Active, which happens
/// only when the chain shows the channel usable (<see cref="OnChainChannel.IsUsable"/>: both
/// deposits, no registration, no conclusion). A channel the chain shows settling before that
/// moves to Disputed or Closed and never carries a payment (THREATS G1).
/// </content>
internal sealed partial class ChannelMachine
{
    /// <summary>Completes when the channel is Active (usable on chain), or throws if funding failed or the channel left funding.</summary>
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

    /// <summary>
    /// Each round reads the chain: a settling channel ends funding for good; a usable one becomes
    /// Active; otherwise we top up our deposit (at most <see cref="StateChannelClientOptions.MaxDepositAttempts"/>
    /// transactions) and look again, until the funding timeout. A third party's deposit for us
    /// (even one landing just before ours) never ends the attempt: we read again and top up the rest.
    /// </summary>
    private async Task FundAsync()
    {
        // Invariant 5: we only get here once version 0 is fully signed and durable.
        CrashPoints.Hit(CrashPoints.FundingV0Durable);

        // The funding timeout runs from version 0 becoming durable (the move to Funding), not from
        // this (re)start nor from the record's last write: a peer that makes us write it (a
        // reestablish) must not push the deadline back.
        var since = _record.PhaseStart == default ? _engine.Time.GetUtcNow() : _record.PhaseStart;
        var deadline = since + _engine.Options.FundingTimeout;
        var mine = Me == 0 ? Params.Funding0 : Params.Funding1;
        var attempts = 0;
        while (true)
        {
            if (_record.Phase != ChannelPhase.Funding)
            {
                EnsureFundedPhase();
                return;
            }

            // A failed read is never "not funded" for good: look again.
            if (await TryGetViewAsync().ConfigureAwait(false) is { } view)
            {
                if (view.IsUsable(Params) || view.IsSettling)
                {
                    await LockedAsync(() => ApplyFundingViewAsync(view)).ConfigureAwait(false);
                    continue; // the phase has moved on: the check at the top says how funding ended
                }

                var held = Me == 0 ? view.Held0 : view.Held1;
                if (held < mine && attempts < _engine.Options.MaxDepositAttempts && _engine.Time.GetUtcNow() < deadline)
                {
                    attempts++;
                    await DepositAsync(held, mine - held).ConfigureAwait(false);
                    continue;
                }
            }

            await AbortIfPastAsync(deadline).ConfigureAwait(false);
            await Task.Delay(_engine.Options.ChainPollInterval, _engine.Time).ConfigureAwait(false);
        }
    }

    /// <summary>Funding is over: returns if the channel is Active, else throws for <see cref="WhenFundedAsync"/>'s waiters.</summary>
    private void EnsureFundedPhase()
    {
        if (_record.Phase != ChannelPhase.Active)
        {
            throw new StateChannelException(ErrorCode.WrongPhase, $"channel {Id} left funding as {_record.Phase}: it will carry no payments");
        }
    }

    private async Task DepositAsync(Amount held, Amount amount)
    {
        try
        {
            // The contract tops participant Me up to held + amount at most: a deposit of ours sent
            // before a restart, or anyone else's, that lands first is never paid twice.
            await _engine.Adjudicator.DepositAsync(Params, Me, held, amount).ConfigureAwait(false);
        }
        catch (StateChannelException e) when (e.Code is ErrorCode.TransactionFailed or ErrorCode.Timeout or ErrorCode.ChainRpcFailure)
        {
            // Reverted, or no receipt in time, or the node failed: the deposit may or may not be on
            // chain. Never the end of funding: the loop reads the chain again and tops up what is
            // missing (the contract never credits twice), or aborts and refunds at the timeout.
            StateChannels.Log.DepositReverted(Log, Id, e.Message);
        }

        CrashPoints.Hit(CrashPoints.FundingDeposited);
    }

    private async Task AbortIfPastAsync(DateTimeOffset deadline)
    {
        if (_engine.Time.GetUtcNow() >= deadline)
        {
            var aborted = await LockedAsync(async () =>
            {
                if (_record.Phase != ChannelPhase.Funding)
                {
                    return false; // left funding meanwhile (the top of the funding loop says how)
                }

                await MoveAsync(ChannelPhase.Aborted).ConfigureAwait(false);
                return true;
            }).ConfigureAwait(false);
            if (!aborted)
            {
                return;
            }

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
        try
        {
            await RefundAsync(null, CancellationToken.None).ConfigureAwait(false);
        }
        catch (StateChannelException e)
        {
            StateChannels.Log.RefundNotStarted(Log, Id, e.Code, e.Message);
        }
    }

    /// <summary>
    /// The refund of an Aborted channel: registers version 0 if we hold a deposit and nothing is
    /// registered yet (read from <paramref name="view"/> if the caller has just read it). Throws on a failed read or transaction, so the watcher, which calls it for
    /// every Aborted channel it looks at, tries again on its next look (a failure at the funding
    /// timeout is never the last word).
    /// </summary>
    private async Task RefundAsync(OnChainChannel? view, CancellationToken cancellationToken)
    {
        var record = Record;
        if (record.Phase != ChannelPhase.Aborted || record.Latest is not { } v0 || record.FallenBehind)
        {
            return;
        }

        view ??= await _engine.Adjudicator.GetChannelAsync(Params, cancellationToken).ConfigureAwait(false);
        var held = Me == 0 ? view.Held0 : view.Held1;
        if (held.IsZero || view.IsSettling)
        {
            return;
        }

        await _engine.Adjudicator.RegisterAsync(Params, v0, cancellationToken).ConfigureAwait(false);
        await LockedAsync(() => MoveAsync(ChannelPhase.Disputed), cancellationToken).ConfigureAwait(false);
        _engine.Events.Publish(new DisputeSeen(Id, v0.State.Version));
    }

    /// <summary>
    /// Looks at the chain for a channel in Funding (the responder does when the peer proposes a
    /// payment before we saw both deposits): Active if usable, Disputed or Closed if settling.
    /// True when Active. The caller holds the lock.
    /// </summary>
    private async Task<bool> CheckFundedLockedAsync()
    {
        if (_record.Phase == ChannelPhase.Funding)
        {
            await ApplyFundingViewAsync(await _engine.Adjudicator.GetChannelAsync(Params).ConfigureAwait(false)).ConfigureAwait(false);
        }

        return _record.Phase == ChannelPhase.Active;
    }

    /// <summary>What a chain view means for a channel in Funding, under the lock: the one rule of <see cref="OnChainChannel.IsUsable"/>.</summary>
    private async Task ApplyFundingViewAsync(OnChainChannel view)
    {
        if (_record.Phase != ChannelPhase.Funding)
        {
            return;
        }

        if (view.IsUsable(Params))
        {
            await MoveAsync(ChannelPhase.Active).ConfigureAwait(false);
        }
        else if (view.IsSettling)
        {
            StateChannels.Log.SettlingBeforeUse(Log, Id, view.RegisteredVersion, view.Concluded);
            await NoteSettlingLockedAsync(view).ConfigureAwait(false);
        }
    }
}
