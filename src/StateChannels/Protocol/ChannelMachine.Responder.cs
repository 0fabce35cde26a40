using Microsoft.Extensions.Logging;

namespace StateChannels.Protocol;

/// <content>The responder's side: checking, signing and storing the peer's proposals.</content>
internal sealed partial class ChannelMachine
{
    private async Task HandleProposeAsync(ProposeUpdate propose, IPeerLink from)
    {
        var state = propose.State;
        if (_inflight is { } mine && mine.State.Version == state.Version)
        {
            // Both proposed the same version at once. The winner alternates with the version
            // (participant version % 2), so neither side can starve the other: a side that always
            // has payments queued proposes again as soon as its last update is confirmed, which is
            // exactly when the other side retries; with a fixed winner that retry would collide,
            // and lose, forever. The loser drops its unsigned proposal (it signed nothing),
            // answers the winner's, and retries at the next version, where it wins a collision.
            if (Me == TieBreakWinner(state.Version))
            {
                return;
            }

            AbandonInflight();
            CrashPoints.Hit(CrashPoints.ProposerLostTie);
        }

        // A repeat of a proposal we already signed: re-send the same signature (sign-once, C2/D2).
        var digest = Digest(state);
        if (_record.LastSigned is { } last && last.Digest == digest && (Latest is null || Latest.Value.Version < state.Version))
        {
            AwaitConfirm();
            await SendAsync(new AcceptUpdate(Id, state.Version, last.Signature)).ConfigureAwait(false);
            return;
        }

        if (Latest is { } settled && state.Version <= settled.Version)
        {
            return; // stale duplicate of a settled version: nothing to answer
        }

        try
        {
            if (Latest is { } current && propose.BaseVersion < current.Version)
            {
                throw new StateChannelException(
                    ErrorCode.FallenBehind, $"proposal built on version {propose.BaseVersion}; our latest is {current.Version}");
            }

            if (_record.FallenBehind)
            {
                // Our copy is known to be behind (a restored backup, a record that failed
                // verification): what we lost may hold our signature at this very version. Only the
                // peer's reestablish syncs us; until then we sign nothing of its. (WrongPhase, not
                // FallenBehind: that code tells the proposer that *it* is behind.)
                throw new StateChannelException(ErrorCode.WrongPhase, "our copy is behind: send your reestablish first");
            }

            if (_behindSince is not null)
            {
                // The peer said we are behind and sent nothing newer: it must send that state before
                // we sign anything of its (an honest peer always does); signing now would also replace
                // the timer that bounds the wait for it.
                throw new StateChannelException(ErrorCode.WrongPhase, "you said we are behind: send the newer state first");
            }

            await EnsureAcceptableAsync(state).ConfigureAwait(false);
            EnsureKeyNotInUse();
        }
        catch (StateChannelException e) when (e.Code is ErrorCode.InvalidTransition or ErrorCode.WrongPhase or ErrorCode.InvalidParams or ErrorCode.FallenBehind or ErrorCode.KeyInUse)
        {
            StateChannels.Log.Rejecting(Log, Id, state.Version, e.Message);
            await SendAsync(new RejectUpdate(Id, state.Version, e.Code, Truncate(e.Message))).ConfigureAwait(false);

            // We signed nothing: our own payments (e.g. requeued after losing the tie-break to this
            // proposal) need not wait for another trigger.
            await StartNextAsync().ConfigureAwait(false);
            return;
        }

        var signature = SignOnce(state, digest);
        await PersistAsync(_record with { LastSigned = new SignIntent(state, digest, signature) }).ConfigureAwait(false);
        CrashPoints.Hit(CrashPoints.ResponderIntentDurable);
        AwaitConfirm();
        await SendAsync(new AcceptUpdate(Id, state.Version, signature)).ConfigureAwait(false);
        CrashPoints.Hit(CrashPoints.ResponderAcceptSent);
    }

    /// <summary>The participant whose proposal wins when both propose <paramref name="version"/> at once.</summary>
    internal static int TieBreakWinner(ulong version) => (int)(version % 2);

    /// <summary>Throws unless we may sign <paramref name="state"/> as responder now.</summary>
    private async Task EnsureAcceptableAsync(ChannelState state)
    {
        if (Latest is null)
        {
            // Version 0 of a channel the peer opened: exactly the agreed funding, nothing else.
            ChannelPhases.Ensure(Id, _record.Phase, ChannelPhase.Proposed);
            TransitionRules.EnsureWellFormed(Id, Params, state);
            if (state.Version != 0 || state.IsFinal || state.Balance0 != Params.Funding0 || state.Balance1 != Params.Funding1)
            {
                throw new StateChannelException(ErrorCode.InvalidTransition, "version 0 must give each participant exactly its funding");
            }

            return;
        }

        if (_record.Phase == ChannelPhase.Funding && !state.IsFinal)
        {
            // The peer may have seen both deposits before we did: look now rather than refuse
            // (Active only if the chain also shows no registration and no conclusion).
            await CheckFundedLockedAsync().ConfigureAwait(false);
        }

        if (state.IsFinal)
        {
            ChannelPhases.Ensure(Id, _record.Phase, ChannelPhase.Active, ChannelPhase.Funding, ChannelPhase.Closing);
        }
        else
        {
            // Funding safety (invariant 5): no payment before both deposits are confirmed.
            ChannelPhases.Ensure(Id, _record.Phase, ChannelPhase.Active);
        }

        // Exactly the version the proposer computes (NextVersion): above everything either side is
        // known to have signed. The peer's own signature on a version we never completed (proven in
        // its reestablish: PeerSignedVersion) is skipped by the proposer, since sign-once forbids it
        // to sign anything else there, so we must not insist on that version either.
        TransitionRules.EnsureValidTransition(Id, Params, Current, state, NextVersion, Me, _record.LastSigned?.State);
    }

    private async Task HandleConfirmAsync(ConfirmUpdate confirm, IPeerLink from, IChannelInbox? inbox)
    {
        if (_record.LastSigned is not { } intent || intent.State.Version != confirm.Version
            || (Latest is { } settled && settled.Version >= confirm.Version))
        {
            return; // stale or duplicate
        }

        var full = Combine(intent.State, intent.Signature, confirm.Signature);
        if (inbox is not null && _engine.Options.Secp256k1 is ManagedSecp256k1 && CanStage(full) && !HaveOwnProposal
            && inbox.TryTakeNext<ProposeUpdate>(out var waiting))
        {
            // The peer's next proposal is already here: the Confirm's signature is checked on another
            // core while this one checks and signs the proposal; both are stored in one write, which
            // waits for that check (ChannelMachine.Merge.cs).
            var check = StartCheck(intent.Digest, confirm.Signature);
            if (await AdoptThenProposeAsync(full, waiting, from, new StagedCheck(check, from, confirm.Version)).ConfigureAwait(false))
            {
                await StartNextAsync().ConfigureAwait(false);
            }

            return;
        }

        if (!VerifyPeer(intent.Digest, confirm.Signature))
        {
            Misbehaved(from, ForgedConfirm(confirm.Version));
            return;
        }

        CrashPoints.Hit(CrashPoints.ResponderConfirmReceived);
        if (inbox is not null && CanStage(full) && !HaveOwnProposal && inbox.TryTakeNext<ProposeUpdate>(out var next))
        {
            // The peer's next proposal arrived while we checked: one durable write for both (ChannelMachine.Merge.cs).
            await AdoptThenProposeAsync(full, next, from, null).ConfigureAwait(false);
        }
        else
        {
            await AdoptAsync(full).ConfigureAwait(false);
        }

        await StartNextAsync().ConfigureAwait(false);
    }

    private static string ForgedConfirm(ulong version) => $"confirm of version {version} carries an invalid signature";

    /// <summary>Stores a verified fully signed state above our latest and reports what it changed for us.</summary>
    private async Task AdoptAsync(SignedState full)
    {
        var adoption = await PrepareAdoptionAsync(full).ConfigureAwait(false);
        await PersistAsync(adoption.Record, adoption.History).ConfigureAwait(false);
        OnAdopted(adoption);
    }

    /// <summary>The record and history entry that adopt <paramref name="full"/> (a verified fully signed state above our latest); nothing is written yet.</summary>
    private async Task<Adoption> PrepareAdoptionAsync(SignedState full)
    {
        var hadLatest = Latest is not null;
        var before = Latest is { } previous ? TransitionRules.BalanceOf(previous, Me) : Amount.Zero;
        var phase = _record.Phase;
        if (full.State.IsFinal)
        {
            phase = ChannelPhase.Closing;
        }
        else if (full.State.Version == 0 && phase == ChannelPhase.Proposed)
        {
            phase = ChannelPhase.Funding;
        }

        var lastSigned = _record.LastSigned;
        if (lastSigned is null || lastSigned.State.Version < full.State.Version)
        {
            var digest = Digest(full.State);
            lastSigned = new SignIntent(full.State, digest, full.SignatureOf(Me));
        }

        var wasFallenBehind = _record.FallenBehind;
        if (_record.LastSigned is not { } signed || signed.State.Version <= full.State.Version)
        {
            _confirmWaitSince = null; // what we signed is now settled by a fully signed state at or above it
        }

        _behindSince = null;
        var history = wasFallenBehind && !await HistoryCanTakeAsync(full).ConfigureAwait(false) ? null : full;
        var after = TransitionRules.BalanceOf(full.State, Me);
        return new Adoption(
            full,
            _record with { Latest = full, LastSigned = lastSigned, Phase = phase, FallenBehind = false },
            history,
            hadLatest && after > before ? after - before : Amount.Zero,
            wasFallenBehind);
    }

    /// <summary>Reports an adopted state, once it is durable: the payment received, the sync, the funding start.</summary>
    private void OnAdopted(Adoption adoption)
    {
        var full = adoption.Full;
        if (!adoption.Received.IsZero)
        {
            _engine.Metrics.PaymentReceived(adoption.Received);
            _engine.Events.Publish(new PaymentReceived(Id, full.State.Version, adoption.Received, TransitionRules.BalanceOf(full.State, Me)));
        }

        if (adoption.Synced)
        {
            _engine.Events.Publish(new ChannelSynced(Id, full.State.Version));
        }

        if (full.State.IsFinal)
        {
            OnFinalAdopted(full);
        }

        OnFullySigned(full);
    }

    /// <summary>
    /// The peer's final state is now ours too (it won a tie-break against our payment, or closed
    /// while we had payments queued): nothing queued can ever be proposed, so it fails now, typed;
    /// a close we asked for is done by this final state.
    /// </summary>
    private void OnFinalAdopted(SignedState final)
    {
        FailQueued(new StateChannelException(ErrorCode.WrongPhase, $"channel {Id} closed at version {final.State.Version}: not done"));
        _pendingClose?.TrySetResult(final);
        _pendingClose = null;
    }

    /// <summary>Fails every queued payment (not yet proposed: never made) with <paramref name="error"/>.</summary>
    private void FailQueued(StateChannelException error)
    {
        foreach (var payment in _queue)
        {
            payment.Completion.TrySetException(error);
        }

        _queue.Clear();
        _queuedTotal = Amount.Zero;
    }

    /// <summary>
    /// Whether the history can take <paramref name="full"/>: not when it holds an unreadable or
    /// different copy at that version — the untrusted copy a fallen-behind channel was loaded with
    /// (C10). Appending would then fail and the channel could never sync; the record carries the
    /// verified state instead, and disputes use the record.
    /// </summary>
    private async Task<bool> HistoryCanTakeAsync(SignedState full)
    {
        try
        {
            return await _engine.Store.GetStateAsync(Id, full.State.Version).ConfigureAwait(false) is not { } stored || stored == full;
        }
        catch (StateChannelException e) when (e.Code == ErrorCode.StorageFailure)
        {
            return false;
        }
    }

    private static string Truncate(string reason) =>
        reason.Length <= 120 ? reason : reason[..120];
}
