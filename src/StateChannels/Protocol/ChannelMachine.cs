using Microsoft.Extensions.Logging;

namespace StateChannels.Protocol;

/// <summary>
/// One channel's protocol engine. Every event (a local payment, a peer message, a (re)connect, a
/// timeout) is handled under one async lock, in order, so the channel's state moves one step at
/// a time; different channels run in parallel. The published <see cref="Record"/> only ever
/// changes after the store has made the new record durable; so does the working
/// <see cref="_record"/>, except inside one locked step that holds a staged write back to merge
/// it with the next (ChannelMachine.Merge.cs): there it runs ahead of the store, and it is made
/// durable, or put back, before the step ends.
/// </summary>
internal sealed partial class ChannelMachine
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly ChannelEngine _engine;
    private readonly List<PendingPayment> _queue = [];

    /// <summary>The sum of <see cref="_queue"/>, kept with it, so a payment's balance check is O(1) rather than O(queued).</summary>
    private Amount _queuedTotal;

    /// <summary>The record the machine works on, under the lock; equal to <see cref="_durable"/> between locked steps.</summary>
    private ChannelRecord _record;

    /// <summary>The latest record the store made durable: what <see cref="Record"/> shows other threads.</summary>
    private ChannelRecord _durable;
    private Proposal? _inflight;
    private TaskCompletionSource<SignedState>? _pendingClose;
    private IPeerLink? _link;
    private bool _synced;
    private Task? _funding;

    public ChannelMachine(ChannelEngine engine, ChannelRecord record)
    {
        _engine = engine;
        _record = record;
        _durable = record;
    }

    public ChannelId Id => _record.Id;

    /// <summary>The latest durable record (a snapshot; safe to read from any thread).</summary>
    public ChannelRecord Record => Volatile.Read(ref _durable);

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
            ArmAnswerTimer();
            _lock.Release();
        }
    }

    private Task LockedAsync(Func<Task> action, CancellationToken cancellationToken = default) =>
        LockedAsync(async () => { await action().ConfigureAwait(false); return true; }, cancellationToken);

    /// <summary>
    /// Makes <paramref name="next"/> (and <paramref name="signed"/>, if any) durable, then adopts it in
    /// memory. A staged write (<see cref="_staged"/>) goes in the same batch.
    /// </summary>
    private async Task PersistAsync(ChannelRecord next, SignedState? signed = null)
    {
        next = Stamped(next);
        if (_staged is not null)
        {
            await PersistWithStagedAsync(next, signed).ConfigureAwait(false);
            return;
        }

        var batch = signed is null ? StoreBatch.Of(next) : StoreBatch.Of(next, signed);
        await _engine.Store.WriteAsync(batch).ConfigureAwait(false);
        Adopt(next);
    }

    /// <summary>
    /// <paramref name="next"/> with its write time, and with <see cref="ChannelRecord.PhaseSince"/>
    /// moved on only when its phase differs from the durable one's (a record from before the field
    /// keeps its last write time as the phase's start: late, never early).
    /// </summary>
    private ChannelRecord Stamped(ChannelRecord next)
    {
        var now = _engine.Time.GetUtcNow();
        var since = next.Phase != _durable.Phase ? now : _durable.PhaseSince != default ? _durable.PhaseSince : _durable.UpdatedAt;
        return next with { UpdatedAt = now, PhaseSince = since == default ? now : since };
    }

    /// <summary>Takes <paramref name="next"/>, which the store has just made durable, as the working and the published record.</summary>
    private void Adopt(ChannelRecord next)
    {
        Volatile.Write(ref _record, next);
        Volatile.Write(ref _durable, next);
        if (next.Latest is { } latest && !(next.LastSigned?.State.Version > latest.State.Version))
        {
            // Whatever path brought it (our proposal completed, the peer's state adopted), a fully
            // signed state at or above everything we signed settles what we were waiting for.
            _confirmWaitSince = null;
        }
    }

    private Signature SignOnce(ChannelState state, Hash32 digest)
    {
        if (CheckSignOnce(state, digest) is { } given)
        {
            return given;
        }

        var signature = _engine.Signer.SignState(_record.Domain, state);
        _engine.Metrics.StateSigned();
        return signature;
    }

    /// <summary>
    /// The checks of <see cref="SignOnce"/> (throws where it would refuse); the signature we already
    /// gave <paramref name="digest"/>, if any, else null: signing <paramref name="state"/> is allowed.
    /// </summary>
    private Signature? CheckSignOnce(ChannelState state, Hash32 digest)
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

        return null;
    }

    private bool VerifyPeer(Hash32 digest, Signature signature) =>
        Ecdsa.TryRecover(_engine.Options.Secp256k1, digest, signature, out var signer) && signer == PeerAddress;

    private SignedState Combine(ChannelState state, Signature mine, Signature theirs) =>
        Me == 0 ? new SignedState(state, mine, theirs) : new SignedState(state, theirs, mine);

    private Hash32 Digest(ChannelState state) => Eip712.HashState(_record.Domain, state);

    private async Task SendAsync(ProtocolMessage message)
    {
        if (_staged is not null)
        {
            // Nothing leaves while a fully signed state waits to be stored: it is stored first.
            await FlushStagedAsync().ConfigureAwait(false);
        }

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
        }
    }
}
