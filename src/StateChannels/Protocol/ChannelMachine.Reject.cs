namespace StateChannels.Protocol;

/// <content>Rejections of our proposals, and proposals we abandon (never signed by us).</content>
internal sealed partial class ChannelMachine
{
    private async Task HandleRejectAsync(RejectUpdate reject)
    {
        if (reject.Code == ErrorCode.ProposalAbandoned)
        {
            // The proposer of the state we signed at this version will never complete it; versions
            // above it win, so we may propose again (our NextVersion already goes above it).
            if (AwaitingConfirm && _record.LastSigned is { } last && last.State.Version == reject.Version)
            {
                _confirmWaitSince = null;
                await StartNextAsync().ConfigureAwait(false);
            }

            return;
        }

        var proposal = _inflight;
        if (proposal is null || reject.Version != proposal.State.Version)
        {
            return;
        }

        if (reject.Code == ErrorCode.FallenBehind)
        {
            // Our base is older than the peer's latest. The peer sent its newer state (a Confirm, or
            // its reestablish) before this Reject: if it has reached us, propose again on top of it
            // now; else wait for it (adopting it clears _behindSince and proposes).
            if (Latest is { } now && now.Version > proposal.BaseVersion)
            {
                AbandonInflight();
                await StartNextAsync().ConfigureAwait(false);
            }
            else
            {
                // The peer's newer state always precedes its rejection on the connection (a Confirm,
                // or its reestablish), and none came: the claim is unproven. Our payments fail now,
                // typed (we signed nothing: they were not made) rather than being proposed again into
                // the same answer forever (THREATS G8).
                _inflight = null;
                if (ReferenceEquals(proposal.Completion, _pendingClose))
                {
                    _pendingClose = null;
                }

                proposal.Fail(new StateChannelException(
                    ErrorCode.PeerRejected, $"peer said version {proposal.BaseVersion} is behind but sent no newer state"));

                // Wait for the newer state, but not forever: a peer that says "behind" and sends
                // nothing newer (a fake rejection, THREATS G8) loses the connection after the update
                // timeout, and the reestablish on reconnect resyncs both sides and proposes again.
                _behindSince = _engine.Time.GetUtcNow();
            }

            return;
        }

        _inflight = null;
        if (ReferenceEquals(proposal.Completion, _pendingClose))
        {
            _pendingClose = null;
        }

        proposal.Fail(new StateChannelException(
            ErrorCode.PeerRejected, $"peer rejected version {reject.Version} ({reject.Code}): {reject.Reason}"));
        await StartNextAsync().ConfigureAwait(false);
    }

    /// <summary>Whether <paramref name="proposal"/> is built on our latest fully signed state (nothing was adopted since).</summary>
    private bool IsOnLatest(Proposal proposal) => proposal.BaseVersion == (Latest?.Version ?? 0);

    /// <summary>
    /// The peer signed our proposal but we will not complete it: remember durably that the peer
    /// signed that version (our next proposal goes above it), tell it, and propose the payments again.
    /// </summary>
    private async Task AbandonSignedProposalAsync(Proposal proposal)
    {
        var version = proposal.State.Version;
        AbandonInflight();
        if (version > _record.PeerSignedVersion)
        {
            await PersistAsync(_record with { PeerSignedVersion = version }).ConfigureAwait(false);
        }

        await SendAsync(new RejectUpdate(Id, version, ErrorCode.ProposalAbandoned, "proposal abandoned")).ConfigureAwait(false);
        await StartNextAsync().ConfigureAwait(false);
    }

    /// <summary>Our unsigned proposal will never be answered: its payments go back to the head of the queue.</summary>
    private void AbandonInflight()
    {
        if (_inflight is not { } proposal)
        {
            return;
        }

        _inflight = null;
        if (proposal.State.Version == 0)
        {
            proposal.Fail(new StateChannelException(ErrorCode.PeerUnavailable, $"channel {Id}: opening interrupted"));
            return;
        }

        _queue.InsertRange(0, proposal.Payments);
        _queuedTotal += proposal.Total;
        if (proposal.Completion is { } close)
        {
            _pendingClose ??= close;
        }
    }
}
