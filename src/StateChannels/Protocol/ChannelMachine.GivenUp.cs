namespace StateChannels.Protocol;

/// <content>
/// Proposals of ours given up at their deadline (ChannelMachine.Waits.cs), and the peer's late
/// answers to them. The peer may have signed one, and its Accept may come after we proposed again,
/// at the same version (nothing is assumed at the deadline: the peer may as well never have seen it,
/// and both sides must keep agreeing on the next version). A late Accept that verifies against one
/// of them is the peer's proof that it signed there: a payment's is recorded and abandoned, as when
/// its reestablish shows it; a close's is completed when nothing has changed since, because a peer
/// that signed a final state takes nothing but that close any more (TransitionRules).
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

        _givenUp!.RemoveAll(g => g.State.Version <= given.State.Version);
        if (_inflight is { } p && p.State.Version <= given.State.Version)
        {
            AbandonInflight();
        }

        if (given.State.IsFinal && CanStillComplete(given))
        {
            // The close we asked for (its caller was told it timed out): the only way on for both.
            var close = new Proposal(given.State, given.Digest, [], null) { BaseVersion = given.BaseVersion };
            await CompleteProposalAsync(close, accept.Signature).ConfigureAwait(false);
            OnFinalAdopted(_record.Latest!);
            return true;
        }

        if (given.State.Version > _record.PeerSignedVersion)
        {
            await PersistAsync(_record with { PeerSignedVersion = given.State.Version }).ConfigureAwait(false);
        }

        await SendAsync(new RejectUpdate(Id, given.State.Version, ErrorCode.ProposalAbandoned, "proposal abandoned")).ConfigureAwait(false);
        await StartNextAsync().ConfigureAwait(false);
        return true;
    }

    /// <summary>Whether <paramref name="given"/> is still built on our latest state and sign-once lets us sign it.</summary>
    private bool CanStillComplete(GivenUp given)
    {
        if ((Latest?.Version ?? 0) != given.BaseVersion || _record.LastSigned?.State.Version > given.State.Version)
        {
            return false;
        }

        try
        {
            CheckSignOnce(given.State, given.Digest);
            return true;
        }
        catch (StateChannelException)
        {
            return false;
        }
    }

    /// <summary>A proposal given up at its deadline.</summary>
    /// <param name="State">The state proposed.</param>
    /// <param name="Digest">Its digest.</param>
    /// <param name="BaseVersion">The latest version it was built on.</param>
    private sealed record GivenUp(ChannelState State, Hash32 Digest, ulong BaseVersion);
}
