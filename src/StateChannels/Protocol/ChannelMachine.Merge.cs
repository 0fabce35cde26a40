namespace StateChannels.Protocol;

/// <content>
/// The responder's merged write. In a run of sequential payments the proposer sends Propose(v+1)
/// right after Confirm(v), so it is usually already waiting in the channel's inbox when the responder
/// takes up the Confirm (or has checked it). Storing the fully signed state v and then, separately,
/// the intent for v+1 would cost two durable commits in series; instead the responder stages the
/// first write and lets it join the second: one commit holds both (<see cref="AdoptThenProposeAsync"/>).
/// With the managed secp256k1 and the Propose already waiting, the Confirm's signature is checked on
/// another core while this one checks and signs the Propose (<see cref="StagedCheck"/>).
/// <para>What keeps this safe. All of it happens in one locked step (the Confirm's), so no other
/// event of the channel sees the staged record. Only the working <see cref="_record"/> runs ahead of
/// the store in that step; the published <see cref="Record"/> (what other threads read: balances, the
/// watcher) stays the durable one. Nothing is stored and nothing leaves while a write is staged
/// before the Confirm's signature has passed its check (<see cref="EnsureStagedVerifiedAsync"/>); if it
/// fails, the staged state and our signature on v+1 (computed, never sent) are dropped and the working
/// record goes back to the durable one. Nothing leaves while a write is staged
/// (<see cref="SendAsync"/> stores it first), so our signature on v+1 leaves only after the merged
/// commit made its intent durable (sign-once), and the state v is reported received
/// (<see cref="OnAdopted"/>) only once a commit holding it returned (durable before acknowledged).
/// The Propose is checked against v as against any fully signed state (money flows only toward
/// the signer). Whatever becomes of the Propose (rejected, stale, failed), the step ends by storing v
/// alone if the merged commit did not (<see cref="FlushStagedAsync"/>). A failed commit writes
/// nothing (a batch is atomic): the working record goes back to the durable one. A crash before the
/// merged commit leaves what a crash at <see cref="CrashPoints.ResponderConfirmReceived"/> always left
/// (intent v, latest v-1: the peer's reestablish brings v back); after it, what a crash at
/// <see cref="CrashPoints.ResponderIntentDurable"/> left.</para>
/// </content>
internal sealed partial class ChannelMachine
{
    /// <summary>A fully signed state adopted in <see cref="_record"/> but not yet stored; only ever set inside one locked step.</summary>
    private Adoption? _staged;

    /// <summary>The check of the staged state's Confirm signature, while it runs on another thread; null once passed (or when checked before staging).</summary>
    private StagedCheck? _stagedCheck;

    /// <summary>
    /// Whether we have payments queued or a close pending. Then the peer's waiting Propose is not
    /// taken up with the Confirm: we adopt the state alone and propose ourselves, so the two
    /// proposals meet in the tie-break (which alternates with the version). Taking the peer's
    /// Propose first every time would let a peer that always has the next Propose waiting behind
    /// its Confirm starve our payments (seen in the crash tests: one side's payments stopped while
    /// the other paid without pause).
    /// </summary>
    private bool HaveOwnProposal => _queue.Count > 0 || _pendingClose is not null;

    /// <summary>
    /// Whether adopting <paramref name="full"/> may wait for the next write: a plain payment state of
    /// an active channel, changing nothing but the latest state (not version 0, not a final state, not
    /// a fallen-behind copy, whose adoption also syncs and may not append to the history).
    /// </summary>
    private bool CanStage(SignedState full) =>
        _record.Phase == ChannelPhase.Active && _record.Latest is not null && !_record.FallenBehind && !full.State.IsFinal;

    /// <summary>
    /// Adopts <paramref name="full"/> and handles <paramref name="next"/>, the Propose that was waiting
    /// behind its Confirm, storing both in one durable write; if the Propose writes nothing (rejected,
    /// stale) or fails, <paramref name="full"/> is stored alone before this returns. With a
    /// <paramref name="check"/> of the Confirm's signature still running, nothing is stored or sent
    /// before it passed; if it fails, nothing of <paramref name="full"/> is kept, the peer is
    /// reported, and this returns false.
    /// </summary>
    private async Task<bool> AdoptThenProposeAsync(SignedState full, ProposeUpdate next, IPeerLink from, StagedCheck? check)
    {
        var adoption = await PrepareAdoptionAsync(full).ConfigureAwait(false);
        _staged = adoption;
        _stagedCheck = check;
        Volatile.Write(ref _record, adoption.Record); // ahead of the store until the write below or the flush
        try
        {
            try
            {
                if (ReferenceEquals(from, _link))
                {
                    await HandleProposeAsync(next, from).ConfigureAwait(false);
                }
            }
            finally
            {
                await FlushStagedAsync().ConfigureAwait(false);
            }
        }
        catch (ForgedConfirmException)
        {
            return false; // reported; nothing stored, nothing sent
        }

        return true;
    }

    /// <summary>Starts checking the peer's signature over <paramref name="digest"/> on another thread.</summary>
    private OffThreadWork<bool> StartCheck(Hash32 digest, Signature signature)
    {
        var secp256k1 = _engine.Options.Secp256k1;
        var peer = PeerAddress;
        return OffThreadWork<bool>.Start(() => Ecdsa.TryRecover(secp256k1, digest, signature, out var signer) && signer == peer);
    }

    /// <summary>
    /// Waits for the staged Confirm's signature check, if one is running. Passed: the staged state is
    /// verified (<see cref="CrashPoints.ResponderConfirmReceived"/>). Failed: the staged state is
    /// dropped, the working record goes back to the durable one, the peer is reported, and
    /// <see cref="ForgedConfirmException"/> ends the step.
    /// </summary>
    private async Task EnsureStagedVerifiedAsync()
    {
        if (_stagedCheck is not { } check)
        {
            return;
        }

        _stagedCheck = null;
        if (await check.Work.TakeOrWaitAsync().ConfigureAwait(false))
        {
            CrashPoints.Hit(CrashPoints.ResponderConfirmReceived);
            return;
        }

        _staged = null;
        Volatile.Write(ref _record, _durable);
        Misbehaved(check.From, ForgedConfirm(check.Version));
        throw new ForgedConfirmException();
    }

    /// <summary>
    /// <see cref="PersistAsync"/> with a staged adoption: <paramref name="next"/>, built on the staged
    /// record, replaces it, and the staged state joins the batch. On failure nothing is written and
    /// the adoption stays staged, for <see cref="FlushStagedAsync"/> to store alone.
    /// </summary>
    private async Task PersistWithStagedAsync(ChannelRecord next, SignedState? signed)
    {
        await EnsureStagedVerifiedAsync().ConfigureAwait(false);
        var staged = _staged!;
        if (!ReferenceEquals(next.Latest, staged.Full))
        {
            // Not built on the staged record (no such caller): never let it replace the staged state unstored.
            await FlushStagedAsync().ConfigureAwait(false);
            await PersistAsync(next, signed).ConfigureAwait(false);
            return;
        }

        _staged = null;
        List<SignedState> history = [];
        if (staged.History is { } state)
        {
            history.Add(state);
        }

        if (signed is not null)
        {
            history.Add(signed);
        }

        try
        {
            await _engine.Store.WriteAsync(new StoreBatch([next], history)).ConfigureAwait(false);
        }
        catch
        {
            _staged = staged;
            throw;
        }

        Adopt(next);
        OnAdopted(staged);
    }

    /// <summary>Stores the staged adoption alone, if one is waiting; if that fails, the working record goes back to the durable one.</summary>
    private async Task FlushStagedAsync()
    {
        if (_staged is null)
        {
            return;
        }

        await EnsureStagedVerifiedAsync().ConfigureAwait(false);
        var staged = _staged;

        _staged = null;
        var record = Stamped(staged.Record);
        try
        {
            var batch = staged.History is { } state ? StoreBatch.Of(record, state) : StoreBatch.Of(record);
            await _engine.Store.WriteAsync(batch).ConfigureAwait(false);
        }
        catch
        {
            Volatile.Write(ref _record, _durable); // nothing of it is durable
            throw;
        }

        Adopt(record);
        OnAdopted(staged);
    }

    /// <summary>What adopting a verified fully signed state writes, and what it reports once durable.</summary>
    /// <param name="Full">The state.</param>
    /// <param name="Record">The record that holds it as the latest.</param>
    /// <param name="History">The history entry to append (null when the history holds an untrusted copy there).</param>
    /// <param name="Received">What it pays us over the previous latest state (zero if nothing).</param>
    /// <param name="Synced">Whether it ends a fallen-behind state (a <see cref="ChannelSynced"/> event).</param>
    private sealed record Adoption(SignedState Full, ChannelRecord Record, SignedState? History, Amount Received, bool Synced);

    /// <summary>A Confirm signature check running on another thread, for the staged state.</summary>
    /// <param name="Work">The check.</param>
    /// <param name="From">The connection the Confirm came from (dropped if the check fails).</param>
    /// <param name="Version">The version confirmed.</param>
    private sealed record StagedCheck(OffThreadWork<bool> Work, IPeerLink From, ulong Version);

    /// <summary>Ends a step whose staged Confirm carried an invalid signature (already reported).</summary>
    private sealed class ForgedConfirmException : Exception
    {
        public ForgedConfirmException()
            : base("forged confirm")
        {
        }
    }
}
