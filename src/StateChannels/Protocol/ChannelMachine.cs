using Microsoft.Extensions.Logging;

namespace StateChannels.Protocol;

/// <summary>
/// One channel's protocol engine. Every event (a local payment, a peer message, a (re)connect, a
/// timeout) is handled under one async lock, in order, so the channel's state moves one step at
/// a time; different channels run in parallel. The in-memory <see cref="_record"/> only ever
/// changes after the store has made the new record durable.
/// </summary>
internal sealed partial class ChannelMachine
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly ChannelEngine _engine;
    private readonly List<PendingPayment> _queue = [];

    /// <summary>The sum of <see cref="_queue"/>, kept with it, so a payment's balance check is O(1) rather than O(queued).</summary>
    private Amount _queuedTotal;
    private ChannelRecord _record;
    private Proposal? _inflight;
    private TaskCompletionSource<SignedState>? _pendingClose;
    private IPeerLink? _link;
    private bool _synced;

    /// <summary>
    /// We signed the peer's proposal and wait for its Confirm. No proposal of ours until then: it
    /// would be built on a state the peer has already moved past (money lost to the peer).
    /// </summary>
    private bool _awaitingConfirm;

    /// <summary>The peer rejected our proposal for being built on an older state: wait for its newer state before proposing again.</summary>
    private bool _behindPeer;
    private ITimer? _updateTimer;
    private Task? _funding;

    public ChannelMachine(ChannelEngine engine, ChannelRecord record)
    {
        _engine = engine;
        _record = record;
    }

    public ChannelId Id => _record.Id;

    /// <summary>The latest durable record (a snapshot; safe to read from any thread).</summary>
    public ChannelRecord Record => Volatile.Read(ref _record);

    public EthAddress PeerAddress => Record.MyIndex == 0 ? Record.Params.Participant1 : Record.Params.Participant0;

    private ChannelParams Params => _record.Params;

    private int Me => _record.MyIndex;

    private ChannelState? Latest => _record.Latest?.State;

    /// <summary>The latest fully signed state, where the phase guarantees there is one.</summary>
    private ChannelState Current => _record.Latest?.State
        ?? throw new StateChannelException(ErrorCode.WrongPhase, $"channel {Id} has no fully signed state");

    /// <summary>The next version we may propose: above everything either side is known to have signed.</summary>
    private ulong NextVersion
    {
        get
        {
            var v = Latest?.Version ?? 0;
            v = Math.Max(v, _record.LastSigned?.State.Version ?? 0);
            v = Math.Max(v, _record.PeerSignedVersion);
            return checked(v + 1);
        }
    }

    private ILogger Log => _engine.Logger;

    /// <summary>Runs <paramref name="action"/> under the channel lock.</summary>
    private async Task<T> LockedAsync<T>(Func<Task<T>> action, CancellationToken cancellationToken = default)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await action().ConfigureAwait(false);
        }
        finally
        {
            ReleaseIdleTimer();
            _lock.Release();
        }
    }

    private Task LockedAsync(Func<Task> action, CancellationToken cancellationToken = default) =>
        LockedAsync(async () => { await action().ConfigureAwait(false); return true; }, cancellationToken);

    /// <summary>Makes <paramref name="next"/> (and <paramref name="signed"/>, if any) durable, then adopts it in memory.</summary>
    private async Task PersistAsync(ChannelRecord next, SignedState? signed = null)
    {
        next = next with { UpdatedAt = _engine.Time.GetUtcNow() };
        var batch = signed is null ? StoreBatch.Of(next) : StoreBatch.Of(next, signed);
        await _engine.Store.WriteAsync(batch).ConfigureAwait(false);
        Volatile.Write(ref _record, next);
    }

    private Signature SignOnce(ChannelState state, Hash32 digest)
    {
        EnsureKeyNotInUse();
        // Sign-once (invariant 1): never a second state at a version we signed, never a lower version.
        if (_record.LastSigned is { } last)
        {
            if (state.Version < last.State.Version
                || (state.Version == last.State.Version && digest != last.Digest))
            {
                throw new StateChannelException(
                    ErrorCode.SignOnceViolation,
                    $"channel {Id}: already signed version {last.State.Version}; refusing version {state.Version}");
            }

            if (digest == last.Digest)
            {
                return last.Signature;
            }
        }

        var signature = _engine.Signer.SignState(_record.Domain, state);
        _engine.Metrics.StateSigned();
        return signature;
    }

    private bool VerifyPeer(Hash32 digest, Signature signature) =>
        Ecdsa.TryRecover(_engine.Options.Secp256k1, digest, signature, out var signer) && signer == PeerAddress;

    private SignedState Combine(ChannelState state, Signature mine, Signature theirs) =>
        Me == 0 ? new SignedState(state, mine, theirs) : new SignedState(state, theirs, mine);

    private Hash32 Digest(ChannelState state) => Eip712.HashState(_record.Domain, state);

    private async Task SendAsync(ProtocolMessage message)
    {
        if (_link is { } link && !await link.SendAsync(message).ConfigureAwait(false))
        {
            OnLinkLost(link);
        }
    }

    private void Misbehaved(IPeerLink link, string reason)
    {
        StateChannels.Log.PeerMisbehaved(Log, Id, link.Peer, reason);
        _engine.Events.Publish(new PeerMisbehaved(Id, link.Peer, reason));
        link.Abort(reason);
    }

    private void OnLinkLost(IPeerLink link)
    {
        if (ReferenceEquals(_link, link))
        {
            _link = null;
            _synced = false;
            StopUpdateTimer();
        }
    }

    private void StopUpdateTimer()
    {
        _updateTimer?.Dispose();
        _updateTimer = null;
    }

    /// <summary>
    /// Disposes the answer timer once no answer is awaited (no proposal of ours in flight, no Confirm
    /// awaited), at the end of every step under the lock. Its callback would find nothing to wait
    /// for; released, an idle channel holds no timer, callback or closure (about 330 bytes) for the
    /// rest of <see cref="StateChannelClientOptions.UpdateTimeout"/>. The responder's Confirm timer
    /// used to stay until it fired.
    /// </summary>
    private void ReleaseIdleTimer()
    {
        if (_updateTimer is not null && _inflight is null && !_awaitingConfirm)
        {
            StopUpdateTimer();
        }
    }
}
