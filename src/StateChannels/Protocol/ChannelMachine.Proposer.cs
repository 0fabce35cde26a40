using Microsoft.Extensions.Logging;

namespace StateChannels.Protocol;

/// <content>The proposer's side: payments out, coalescing, open and close proposals.</content>
internal sealed partial class ChannelMachine
{
    /// <summary>Queues a payment to the peer; completes once the state carrying it is fully signed and durable.</summary>
    public async Task<PaymentReceipt> PayAsync(Amount amount, CancellationToken cancellationToken)
    {
        if (amount.IsZero)
        {
            throw new ArgumentOutOfRangeException(nameof(amount), "a payment must be positive");
        }

        var started = _engine.Time.GetTimestamp();
        var payment = new PendingPayment(amount, _engine.Time.GetUtcNow() + _engine.Options.PaymentTimeout);
        await LockedAsync(async () =>
        {
            ChannelPhases.Ensure(Id, _record.Phase, ChannelPhase.Active);
            EnsureNotBehind();

            if (_pendingClose is not null || _record.Latest?.State.IsFinal == true || _record.LastSigned?.State.IsFinal == true)
            {
                throw new StateChannelException(ErrorCode.WrongPhase, $"channel {Id} is closing");
            }

            if (_queue.Count >= _engine.Options.MaxQueuedPayments)
            {
                throw new StateChannelException(ErrorCode.InsufficientFunds, $"channel {Id}: {_queue.Count} payments already queued");
            }

            // Check against what is left after everything already queued or in flight.
            var committed = _queuedTotal + (_inflight is null ? Amount.Zero : _inflight.Total);
            var available = TransitionRules.BalanceOf(Current, Me);
            if (committed + amount > available)
            {
                throw new StateChannelException(
                    ErrorCode.InsufficientFunds, $"channel {Id}: balance {available} does not cover {amount} after {committed} pending");
            }

            _queue.Add(payment);
            _queuedTotal += amount;
            await StartNextAsync().ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);

        // Cancelling withdraws the payment if it is still queued. Once proposed it may still
        // complete: the caller stops waiting, and PaymentSent reports the outcome.
        using var registration = cancellationToken.Register(() => _ = CancelQueuedAsync(payment));
        var receipt = await payment.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        _engine.Metrics.PaymentSent(amount, _engine.Time.GetElapsedTime(started));
        return receipt;
    }

    /// <summary>Proposes the final state and waits until it is fully signed and durable.</summary>
    public async Task<SignedState> SignFinalAsync(CancellationToken cancellationToken)
    {
        var done = await LockedAsync(async () =>
        {
            if (_record.Latest is { State.IsFinal: true } final)
            {
                return Task.FromResult(final);
            }

            ChannelPhases.Ensure(Id, _record.Phase, ChannelPhase.Active, ChannelPhase.Closing);
            EnsureNotBehind(); // its final state would be built on our stale copy, at a version we may have signed
            if (_pendingClose is null)
            {
                _pendingClose = new TaskCompletionSource<SignedState>(TaskCreationOptions.RunContinuationsAsynchronously);
                _closeDeadline = _engine.Time.GetUtcNow() + _engine.Options.PaymentTimeout;
            }

            var close = _pendingClose;
            await StartNextAsync().ConfigureAwait(false);
            return close.Task; // StartNextAsync may already have failed and cleared it (KeyInUse)
        }, cancellationToken).ConfigureAwait(false);
        return await done.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task CancelQueuedAsync(PendingPayment payment)
    {
        await LockedAsync(() =>
        {
            // Only a payment not yet proposed can be withdrawn; one in flight may still complete.
            if (_queue.Remove(payment))
            {
                _queuedTotal -= payment.Amount;
                payment.Completion.TrySetCanceled();
            }

            return Task.CompletedTask;
        }).ConfigureAwait(false);
    }

    /// <summary>If idle and in sync, proposes the next state: all queued payments coalesced, or the close.</summary>
    private async Task StartNextAsync()
    {
        if (_engine.KeyInUse)
        {
            FailQueuedKeyInUse();
            return;
        }

        if (_inflight is not null || AwaitingConfirm || _behindSince is not null || !_synced || _link is null || Latest is null)
        {
            return;
        }

        if (_record.LastSigned is { State.IsFinal: true } signedFinal && signedFinal.State.Version > Latest.Value.Version)
        {
            // A final state we signed is not settled: the peer can close with it at once, so a
            // payment of ours above it would be taken back. Queued payments (one that lost a
            // tie-break to the peer's close) fail; only the same close may be proposed again.
            FailQueued(new StateChannelException(
                ErrorCode.WrongPhase, $"channel {Id}: we signed the final state at version {signedFinal.State.Version}: no more payments"));
            if (_pendingClose is null)
            {
                return;
            }
        }

        ChannelState next;
        List<PendingPayment> carried;
        TaskCompletionSource<SignedState>? completion = null;
        if (_queue.Count > 0 && _record.Phase == ChannelPhase.Active)
        {
            carried = [.. _queue];
            var total = _queuedTotal;
            _queue.Clear();
            _queuedTotal = Amount.Zero;
            next = TransitionRules.Pay(Current, Me, total, NextVersion);
        }
        else if (_pendingClose is not null)
        {
            carried = [];
            completion = _pendingClose;
            next = new ChannelState(Id, NextVersion, Current.Balance0, Current.Balance1, IsFinal: true);
        }
        else
        {
            return;
        }

        await ProposeAsync(new Proposal(next, Digest(next), carried, completion)).ConfigureAwait(false);
    }

    private async Task ProposeAsync(Proposal proposal)
    {
        _inflight = proposal;
        proposal.BaseVersion = Latest?.Version ?? 0;
        proposal.Since = _engine.Time.GetUtcNow();
        await SendAsync(new ProposeUpdate(proposal.State, Latest?.Version ?? 0)).ConfigureAwait(false);
    }

    private async Task HandleAcceptAsync(AcceptUpdate accept, IPeerLink from)
    {
        var proposal = _inflight;
        if (proposal is null || accept.Version != proposal.State.Version)
        {
            // Stale or duplicate (the state it answers is settled already), or the late answer to a
            // proposal we gave up at its deadline.
            await AcceptOfGivenUpAsync(accept).ConfigureAwait(false);
            return;
        }

        if (!IsOnLatest(proposal))
        {
            // A newer state was adopted since we proposed (the peer confirmed a state of its own
            // meanwhile): ours is built on an old base, and completing it would take back what the
            // newer one gave us. We never sign it; the peer is told, and its payments go again on
            // top of the latest, above the version the peer signed.
            await AbandonSignedProposalAsync(proposal).ConfigureAwait(false);
            return;
        }

        // With a slow (managed) verification our signature is computed on another core meanwhile.
        // It stays in this step unless the peer's signature verifies, and leaves only after
        // CompleteProposalAsync made it durable; the sign-once checks run first, under the lock.
        var signing = StartSigning(proposal.State, proposal.Digest);
        if (!VerifyPeer(proposal.Digest, accept.Signature))
        {
            signing?.Abandon();
            if (!await AcceptOfGivenUpAsync(accept).ConfigureAwait(false))
            {
                Misbehaved(from, $"accept of version {accept.Version} carries an invalid signature");
            }

            return;
        }

        Signature? mine = null;
        if (signing is not null)
        {
            mine = await signing.TakeOrWaitAsync().ConfigureAwait(false);
            _engine.Metrics.StateSigned();
        }

        await CompleteProposalAsync(proposal, accept.Signature, mine).ConfigureAwait(false);
    }

    /// <summary>
    /// Starts computing our signature on <paramref name="state"/> on another thread, if the peer's
    /// signature is slow to check (the managed secp256k1) and sign-once allows a new signature; null
    /// otherwise: <see cref="SignOnce"/> then decides, in its usual place. The caller holds the lock
    /// until it has the result, and lets the signature out only as <see cref="SignOnce"/>'s would.
    /// </summary>
    private OffThreadWork<Signature>? StartSigning(ChannelState state, Hash32 digest)
    {
        if (_engine.Options.Secp256k1 is not ManagedSecp256k1)
        {
            return null; // native verification takes about as long as handing work to another thread
        }

        try
        {
            if (CheckSignOnce(state, digest) is not null)
            {
                return null; // a signature we already gave: SignOnce returns it
            }
        }
        catch (StateChannelException)
        {
            return null; // SignOnce throws it again
        }

        var signer = _engine.Signer;
        var domain = _record.Domain;
        return OffThreadWork<Signature>.Start(() => signer.SignState(domain, state));
    }

    /// <summary>
    /// The peer signed our proposal: sign it ourselves (unless <paramref name="mine"/> already holds
    /// our signature, computed after the sign-once checks), make it durable, confirm, and report.
    /// </summary>
    private async Task CompleteProposalAsync(Proposal proposal, Signature theirs, Signature? mine = null)
    {
        CrashPoints.Hit(CrashPoints.ProposerAcceptReceived);
        var ours = mine ?? SignOnce(proposal.State, proposal.Digest);
        var full = Combine(proposal.State, ours, theirs);
        var phase = _record.Phase;
        if (proposal.State.IsFinal)
        {
            phase = ChannelPhase.Closing;
        }
        else if (proposal.State.Version == 0)
        {
            phase = ChannelPhase.Funding;
        }

        await PersistAsync(
            _record with { Latest = full, LastSigned = new SignIntent(proposal.State, proposal.Digest, ours), Phase = phase },
            full).ConfigureAwait(false);
        CrashPoints.Hit(CrashPoints.ProposerStored);
        _inflight = null;
        await SendAsync(new ConfirmUpdate(Id, proposal.State.Version, ours)).ConfigureAwait(false);

        var myBalance = TransitionRules.BalanceOf(proposal.State, Me);
        foreach (var p in proposal.Payments)
        {
            p.Completion.TrySetResult(new PaymentReceipt(Id, proposal.State.Version, p.Amount, myBalance));
        }

        if (proposal.Payments.Count > 0)
        {
            _engine.Events.Publish(new PaymentSent(Id, proposal.State.Version, proposal.Total, myBalance));
        }

        // Start the funding task (version 0) before completing the open: OpenChannelAsync resumes on
        // another thread and waits for that task; found missing, it returned a channel still in Funding.
        OnFullySigned(full);
        if (proposal.Completion is { } completion)
        {
            if (ReferenceEquals(completion, _pendingClose))
            {
                _pendingClose = null;
            }

            completion.TrySetResult(full);
        }

        await StartNextAsync().ConfigureAwait(false);
    }
}
