using Microsoft.Extensions.Logging;

namespace StateChannels.Protocol;

/// <content>Connections: dispatch, reestablish after every (re)connect, and link loss.</content>
internal sealed partial class ChannelMachine
{
    /// <summary>A (new) connection to the peer: announce where we stand. Proposals wait for the peer's answer.</summary>
    public Task OnConnectedAsync(IPeerLink link) => LockedAsync(async () =>
    {
        if (ReferenceEquals(_link, link))
        {
            // Already on this connection: the channel was opened (or accepted) on it while the
            // connection re-established the channels it found. A reestablish now would unsync a
            // channel the peer has no reason to answer, and cut the open's answer timer.
            return;
        }

        _link = link;
        _linkSince = _engine.Time.GetUtcNow();
        _synced = false;
        var pending = _record.LastSigned is { } last && (Latest is not { } l || last.State.Version > l.Version) ? last : null;

        // We signed the peer's proposal and hold no fully signed state for it: no proposal of ours
        // until the peer settles it (Confirm, a state at or above it, or ProposalAbandoned), as
        // before the disconnect. After a restart only the store remembers that we are waiting. The
        // wait is timed here too: a peer that reconnects and then settles nothing loses the link.
        _confirmWaitSince = null;
        if (pending is not null)
        {
            AwaitConfirm();
        }
        await SendAsync(new Reestablish(Id, _record.Latest, pending?.State, pending?.Signature)).ConfigureAwait(false);
    });

    /// <summary>The connection is gone: stop proposing until the next reestablish.</summary>
    public Task OnDisconnectedAsync(IPeerLink link) => LockedAsync(() =>
    {
        OnLinkLost(link);
        return Task.CompletedTask;
    });

    /// <summary>
    /// Handles one message from the peer. Never throws for the peer's misbehaviour. Given the
    /// <paramref name="inbox"/> of messages waiting behind it, it may take and handle the next one too.
    /// </summary>
    public Task HandleAsync(ProtocolMessage message, IPeerLink from, IChannelInbox? inbox = null) => LockedAsync(async () =>
    {
        if (!ReferenceEquals(from, _link))
        {
            return; // from a connection we already replaced
        }

        if (!ChannelPhases.TakesUpdates(_record.Phase))
        {
            // The chain decides now (a registration, a conclusion, an aborted funding): no state is
            // adopted, counted or signed. A late Confirm counted after a conclusion at a lower
            // version would be money the chain never pays.
            if (message is ProposeUpdate refused)
            {
                await SendAsync(new RejectUpdate(Id, refused.State.Version, ErrorCode.WrongPhase, $"channel is {_record.Phase}")).ConfigureAwait(false);
            }

            return;
        }

        switch (message)
        {
            case ProposeUpdate m:
                await HandleProposeAsync(m, from).ConfigureAwait(false);
                break;
            case AcceptUpdate m:
                await HandleAcceptAsync(m, from).ConfigureAwait(false);
                break;
            case ConfirmUpdate m:
                await HandleConfirmAsync(m, from, inbox).ConfigureAwait(false);
                break;
            case RejectUpdate m:
                await HandleRejectAsync(m).ConfigureAwait(false);
                break;
            case Reestablish m:
                await HandleReestablishAsync(m, from).ConfigureAwait(false);
                break;
            default:
                Misbehaved(from, $"unexpected {message.Type} for an existing channel");
                break;
        }
    });

    /// <summary>
    /// The peer's view after a (re)connect. Only signed evidence moves us: a fully signed state
    /// above ours (both signatures verified) is adopted; a pending state the peer signed is
    /// completed only if it is exactly our own proposal still in flight.
    /// </summary>
    private async Task HandleReestablishAsync(Reestablish m, IPeerLink from)
    {
        if (ReferenceEquals(_reestablishedOn, from))
        {
            // One per connection (a duplicate, or a peer restarting our proposal's wait with each one:
            // it would abandon and re-send our proposal). Ignored: nothing in it can matter any more.
            return;
        }

        _reestablishedOn = from;
        _engine.Metrics.Reestablished();
        if (m.Latest is { } theirs)
        {
            if (!IsValidFull(theirs, out var why))
            {
                Misbehaved(from, "reestablish: " + why);
                return;
            }

            var ours = Latest;
            if (ours is not { } o || theirs.State.Version > o.Version)
            {
                if (_record.LastSigned is { } last && last.State.Version == theirs.State.Version && last.Digest != Digest(theirs.State))
                {
                    // Our key signed two states at one version: another instance is using it (F3).
                    RaiseEquivocation(theirs.State.Version, "our key signed a different state at this version");
                    KeyUsedElsewhere(theirs.State.Version, "our key signed a different state at this version");
                }
                else if (!_record.FallenBehind && !(_record.LastSigned?.State.Version >= theirs.State.Version))
                {
                    // Our signature on a version above every one this store recorded signing: our
                    // intent is durable before any signature of ours leaves, so another instance
                    // signed it (F3) — unless the store is known to be behind (a restored backup,
                    // a record that failed verification), which is marked FallenBehind.
                    KeyUsedElsewhere(
                        theirs.State.Version,
                        $"our signature is on version {theirs.State.Version}; this store never signed above {(_record.LastSigned is { } l ? l.State.Version.ToString(System.Globalization.CultureInfo.InvariantCulture) : "nothing")}");
                }

                if (_inflight is { } p && p.State.Version <= theirs.State.Version)
                {
                    AbandonInflight();
                }

                if (_record.LastSigned is { } signed && !TransitionRules.MayAdoptBelowSigned(theirs.State, signed.State, Me))
                {
                    // We signed a higher state that pays us less: the peer can make that one win on
                    // chain. Counting this one would count money it can take back.
                    Misbehaved(from, $"reestablish: version {theirs.State.Version} is below version {signed.State.Version}, which we signed");
                    return;
                }

                await AdoptAsync(theirs).ConfigureAwait(false);
            }
            else if (theirs.State.Version == o.Version && Digest(theirs.State) != Digest(o))
            {
                RaiseEquivocation(o.Version, "the peer holds a different fully signed state at our latest version");
            }
            else if (_record.FallenBehind)
            {
                // The peer's signed evidence is not ahead of ours: our copy is current.
                await PersistAsync(_record with { FallenBehind = false }).ConfigureAwait(false);
                _engine.Events.Publish(new ChannelSynced(Id, o.Version));
            }
        }

        if (m.Pending is { } pending && m.PendingSignature is { } pendingSig)
        {
            var latestVersion = Latest?.Version;
            var digest = Digest(pending);
            if (pending.ChannelId != Id || !VerifyPeer(digest, pendingSig))
            {
                Misbehaved(from, "reestablish: invalid pending state");
                return;
            }

            if (latestVersion is { } lv && pending.Version <= lv)
            {
                // Stale: we hold that version fully signed already (the peer missed our Confirm and
                // has just been sent our latest). A different state there would be the peer's equivocation.
                if (pending.Version == lv && digest != Digest(Latest!.Value))
                {
                    RaiseEquivocation(lv, "the peer signed a different state at our latest version");
                }
            }
            else if (latestVersion is null ? pending.Version != 0 : pending.Version > NextVersion)
            {
                // The peer signs only our proposals, and we propose at NextVersion, whose inputs are
                // all durable: a pending version above it is not one we proposed. Below it (and above
                // our latest) are versions we skipped, or one we already answered ProposalAbandoned.
                Misbehaved(from, $"reestablish: pending version {pending.Version} is not one we proposed");
                return;
            }
            else if (_inflight is { } p && p.Digest == digest && IsOnLatest(p))
            {
                await CompleteProposalAsync(p, pendingSig).ConfigureAwait(false);
            }
            else if (await TryCompleteFinalAsync(pending, digest, pendingSig).ConfigureAwait(false))
            {
                // A close of ours the peer signed (given up at its deadline, or lost to a restart): done.
            }
            else
            {
                _givenUp?.RemoveAll(g => g.State.Version <= pending.Version);
                // The peer signed a state we will never complete (we lost or dropped the proposal):
                // tell it so it may propose again, and propose above it ourselves.
                // Durably: after a restart we must still propose above it, and still know it as ours
                // when the peer presents it again.
                if (pending.Version > _record.PeerSignedVersion)
                {
                    await PersistAsync(_record with { PeerSignedVersion = pending.Version }).ConfigureAwait(false);
                }

                await SendAsync(new RejectUpdate(Id, pending.Version, ErrorCode.ProposalAbandoned, "proposal abandoned")).ConfigureAwait(false);
            }
        }

        AbandonInflight();
        _behindSince = null;
        _synced = true;
        if (_record.Phase == ChannelPhase.Proposed && Me == 0 && _record.Latest is null)
        {
            return; // the opening proposal was interrupted; the opener's OpenChannelAsync failed
        }

        await StartNextAsync().ConfigureAwait(false);
    }

    private bool IsValidFull(SignedState full, out string why)
    {
        try
        {
            TransitionRules.EnsureWellFormed(Id, Params, full.State);
        }
        catch (StateChannelException e)
        {
            why = e.Message;
            return false;
        }

        var digest = Digest(full.State);
        if (!Ecdsa.TryRecover(_engine.Options.Secp256k1, digest, full.Sig0, out var a0) || a0 != Params.Participant0
            || !Ecdsa.TryRecover(_engine.Options.Secp256k1, digest, full.Sig1, out var a1) || a1 != Params.Participant1)
        {
            why = $"version {full.State.Version} is not signed by both participants";
            return false;
        }

        why = string.Empty;
        return true;
    }

    private void RaiseEquivocation(ulong version, string detail)
    {
        StateChannels.Log.Equivocation(Log, Id, version, detail);
        _engine.Events.Publish(new EquivocationDetected(Id, version, detail));
    }
}
