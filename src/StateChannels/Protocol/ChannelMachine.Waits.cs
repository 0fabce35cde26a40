namespace StateChannels.Protocol;

/// <content>
/// Waiting for the peer, bounded. Each wait records when it began: our proposal in flight
/// (<see cref="Proposal.Since"/>), the Confirm of a state we signed (<see cref="_confirmWaitSince"/>),
/// the newer state a FallenBehind rejection claimed (<see cref="_behindSince"/>), and the peer's
/// reestablish after a (re)connect while we have something to propose. One timer fires at the
/// earliest end of any of them, <see cref="StateChannelClientOptions.UpdateTimeout"/> after its start
/// (never before the connection's own start), re-armed at the end of every locked step. Nothing the
/// peer repeats (a proposal we signed, a reestablish) moves a start: only settling the wait ends it.
/// The first three drop the connection (the reestablish on reconnect settles what was left half-done);
/// the reestablish wait fails the payments that wait for it, since a peer may rightly not know a
/// channel (an open it never received) and dropping the link would cut every other channel with it.
/// </content>
internal sealed partial class ChannelMachine
{
    private ITimer? _answerTimer;
    private DateTimeOffset _answerDue;

    /// <summary>When the current connection was attached: no wait's clock runs from before it.</summary>
    private DateTimeOffset _linkSince;

    /// <summary>
    /// Since when we have waited for the peer's Confirm of the state we signed (null: not waiting).
    /// No proposal of ours until then: it would be built on a state the peer has already moved past.
    /// </summary>
    private DateTimeOffset? _confirmWaitSince;

    /// <summary>Since when we have waited for the newer state the peer's FallenBehind rejection claimed (null: not waiting).</summary>
    private DateTimeOffset? _behindSince;

    /// <summary>When a close we asked for (<see cref="_pendingClose"/>) fails if the final state is still not fully signed.</summary>
    private DateTimeOffset _closeDeadline;

    /// <summary>The connection a reestablish already came on: a second one there is ignored.</summary>
    private IPeerLink? _reestablishedOn;

    private enum Wait
    {
        Answer,
        Confirm,
        NewerState,
        Reestablish,
        Payment,
    }

    private bool AwaitingConfirm => _confirmWaitSince is not null;

    /// <summary>We signed the peer's proposal: wait for its Confirm (a repeat keeps the wait's start).</summary>
    private void AwaitConfirm() => _confirmWaitSince ??= _engine.Time.GetUtcNow();

    /// <summary>
    /// The wait that ends first, and when; null when we wait for nothing. The waits on the peer count
    /// only on a connection and while the channel takes updates; payment deadlines always count.
    /// </summary>
    private (DateTimeOffset Due, Wait What)? FirstWaitEnd()
    {
        (DateTimeOffset Due, Wait What)? first = null;
        void Consider(DateTimeOffset? due, Wait what)
        {
            if (due is { } d && (first is null || d < first.Value.Due))
            {
                first = (d, what);
            }
        }

        if (_link is not null && ChannelPhases.TakesUpdates(_record.Phase))
        {
            var timeout = _engine.Options.UpdateTimeout;
            DateTimeOffset? End(DateTimeOffset? since) => since is { } s ? (s > _linkSince ? s : _linkSince) + timeout : null;
            Consider(End(_inflight?.Since), Wait.Answer);
            Consider(End(_confirmWaitSince), Wait.Confirm);
            Consider(End(_behindSince), Wait.NewerState);
            if (!_synced && (_queue.Count > 0 || _pendingClose is not null))
            {
                Consider(End(_linkSince), Wait.Reestablish);
            }
        }

        // Payments: the queue is oldest first (requeued ones go back to its head).
        Consider(_queue.Count > 0 ? _queue[0].Deadline : null, Wait.Payment);
        Consider(_inflight is { } p && p.FirstDeadline != DateTimeOffset.MaxValue ? p.FirstDeadline : null, Wait.Payment);
        Consider(_pendingClose is not null ? _closeDeadline : null, Wait.Payment);
        return first;
    }

    /// <summary>At the end of every locked step: the timer fires at the first wait's end, or is released when nothing is awaited.</summary>
    private void ArmAnswerTimer()
    {
        if (FirstWaitEnd() is not { } end)
        {
            _answerTimer?.Dispose();
            _answerTimer = null;
            return;
        }

        if (_answerTimer is not null && _answerDue == end.Due)
        {
            return;
        }

        var delay = end.Due - _engine.Time.GetUtcNow();
        delay = delay < TimeSpan.Zero ? TimeSpan.Zero : delay;
        _answerDue = end.Due;
        if (_answerTimer is null)
        {
            _answerTimer = _engine.Time.CreateTimer(static s => _ = ((ChannelMachine)s!).OnWaitEndedAsync(), this, delay, Timeout.InfiniteTimeSpan);
        }
        else
        {
            _answerTimer.Change(delay, Timeout.InfiniteTimeSpan);
        }
    }

    private Task OnWaitEndedAsync() => LockedAsync(() =>
    {
        _answerDue = default; // this timer has fired: the step's end arms it again for whatever is left
        if (FirstWaitEnd() is not { } end || end.Due > _engine.Time.GetUtcNow())
        {
            return Task.CompletedTask; // settled meanwhile, or the timer ran a little early
        }

        if (end.What == Wait.Payment)
        {
            return FailExpiredPaymentsAsync();
        }

        var what = Describe(end.What);
        StateChannels.Log.AnswerTimedOut(Log, Id, what, _engine.Options.UpdateTimeout);
        if (end.What == Wait.Reestablish)
        {
            var error = new StateChannelException(ErrorCode.PeerUnavailable, $"channel {Id}: {what}");
            FailQueued(error);
            _pendingClose?.TrySetException(error);
            _pendingClose = null;
            return Task.CompletedTask;
        }

        var link = _link!;
        OnLinkLost(link);
        link.Abort(what);
        return Task.CompletedTask;
    });

    private string Describe(Wait what) => what switch
    {
        Wait.Answer => $"no answer to version {_inflight?.State.Version}",
        Wait.Confirm => $"no confirmation of version {_record.LastSigned?.State.Version}",
        Wait.NewerState => "no newer state after the peer said we are behind",
        _ => "the peer has not re-established the channel on this connection",
    };

    /// <summary>
    /// Fails every payment, and a close we asked for, past its deadline and never signed by us: queued
    /// ones, and our unanswered proposal's (dropped; what it carried that has time left goes back to
    /// the queue). The peer may have signed that proposal, and its Accept may still come: it is
    /// remembered so that the Accept is recognised (ChannelMachine.GivenUp.cs).
    /// Nothing is assumed until then: the peer may as well never have seen it, and both sides must
    /// keep agreeing on the next version. Then proposes what is left.
    /// </summary>
    private async Task FailExpiredPaymentsAsync()
    {
        var now = _engine.Time.GetUtcNow();
        var closeExpired = _pendingClose is not null && _closeDeadline <= now;
        if (_inflight is { } proposal && (proposal.FirstDeadline <= now || (closeExpired && ReferenceEquals(proposal.Completion, _pendingClose))))
        {
            AbandonInflight(); // back to the head of the queue, oldest first
            RememberGivenUp(proposal);
        }

        var timeout = _engine.Options.PaymentTimeout;
        var expired = 0;
        while (expired < _queue.Count && _queue[expired].Deadline <= now) // oldest first
        {
            var payment = _queue[expired++];
            _queuedTotal -= payment.Amount;
            payment.Completion.TrySetException(new StateChannelException(ErrorCode.Timeout, $"channel {Id}: the payment was not signed by the peer within PaymentTimeout ({timeout})"));
        }

        _queue.RemoveRange(0, expired);

        if (closeExpired)
        {
            _pendingClose!.TrySetException(new StateChannelException(ErrorCode.Timeout, $"channel {Id}: the peer did not sign the final state within PaymentTimeout ({timeout}); ForceCloseAsync closes without it"));
            _pendingClose = null;
        }

        await StartNextAsync().ConfigureAwait(false);
    }
}
