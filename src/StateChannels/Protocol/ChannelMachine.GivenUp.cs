namespace StateChannels.Protocol;

/// <content>
/// Proposals of ours given up at their deadline (ChannelMachine.Waits.cs), and the peer's late
/// answers to them. The peer may have signed one, and its Accept may come after we proposed again,
/// at the same version (nothing is assumed at the deadline: the peer may as well never have seen it,
/// and both sides must keep agreeing on the next version). A late Accept that verifies against one
/// of them is the peer's proof that it signed there: a payment's is recorded and abandoned, as when
/// its reestablish shows it; a close's is completed (<see cref="TryCompleteFinalAsync"/>, which the
/// reestablish uses too), because a peer that signed a final state takes nothing else any more.
/// </content>
internal sealed partial class ChannelMachine
{
    /// <summary>At most this many given-up proposals are remembered (the oldest goes first).</summary>
    private const int MaxGivenUp = 8;

    /// <summary>Given-up proposals whose version nothing has settled yet, oldest first.</summary>
    private List<GivenUp>? _givenUp;

    private void RememberGivenUp(Proposal proposal)
    {
        _givenUp ??= [];
        if (_givenUp.Count == MaxGivenUp)
        {
            _givenUp.RemoveAt(0);
        }

        _givenUp.Add(new GivenUp(proposal.State, proposal.Digest, proposal.BaseVersion));
    }

    /// <summary>
    /// Handles <paramref name="accept"/> if it carries the peer's valid signature on a proposal we gave
    /// up; false when it does not. Our proposal at that version or below (which the peer must now
    /// refuse) goes back to the queue first.
    /// </summary>
    private async Task<bool> AcceptOfGivenUpAsync(AcceptUpdate accept)
    {
        var given = _givenUp?.Find(g => g.State.Version == accept.Version && VerifyPeer(g.Digest, accept.Signature));
        if (given is null)
        {
            return false;
        }

        if (await TryCompleteFinalAsync(given.State, given.Digest, accept.Signature).ConfigureAwait(false))
        {
            return true;
        }

        _givenUp!.RemoveAll(g => g.State.Version <= given.State.Version);
        if (_inflight is { } p && p.State.Version <= given.State.Version)
        {
            AbandonInflight();
        }

        if (given.State.Version > _record.PeerSignedVersion)
        {
            await PersistAsync(_record with { PeerSignedVersion = given.State.Version }).ConfigureAwait(false);
        }

        await SendAsync(new RejectUpdate(Id, given.State.Version, ErrorCode.ProposalAbandoned, "proposal abandoned")).ConfigureAwait(false);
        await StartNextAsync().ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// Completes a final state the peer signed (a close of ours, given up at its deadline or lost to a
    /// restart, presented by its late Accept or its reestablish) when the responder's rule would let us
    /// sign it (it keeps the balances of our latest state, which is not final, and lies above it), our
    /// copy is not known to be behind, and sign-once lets us sign it. A peer that signed a final state
    /// takes nothing but that close any more (TransitionRules), so it is the only way on for both; it
    /// closes at the balances we count, as a force close by the peer would, only sooner. Our proposal
    /// in flight goes back to the queue and, with everything queued, fails (the channel is closing).
    /// False when it does not apply.
    /// </summary>
    private async Task<bool> TryCompleteFinalAsync(ChannelState state, Hash32 digest, Signature theirs)
    {
        if (!state.IsFinal || _record.FallenBehind || Latest is not { } latest || state.Version <= latest.Version
            || _record.LastSigned?.State.Version > state.Version)
        {
            return false; // a copy known to be behind signs nothing of the peer's (RestoredSigningTests)
        }

        try
        {
            // The responder's rule for a final state (not after a final, the balances kept, only the
            // same close above a final we signed), at the version presented; then sign-once.
            TransitionRules.EnsureValidTransition(Id, Params, latest, state, state.Version, Me, _record.LastSigned?.State);
            CheckSignOnce(state, digest);
        }
        catch (StateChannelException)
        {
            return false;
        }

        _givenUp?.RemoveAll(g => g.State.Version <= state.Version);
        AbandonInflight();
        var close = new Proposal(state, digest, [], null) { BaseVersion = latest.Version };
        await CompleteProposalAsync(close, theirs).ConfigureAwait(false);
        OnFinalAdopted(_record.Latest!);
        return true;
    }

    /// <summary>A proposal given up at its deadline.</summary>
    /// <param name="State">The state proposed.</param>
    /// <param name="Digest">Its digest.</param>
    /// <param name="BaseVersion">The latest version it was built on.</param>
    private sealed record GivenUp(ChannelState State, Hash32 Digest, ulong BaseVersion);
}
