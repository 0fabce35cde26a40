using StateChannels.Protocol;

namespace StateChannels;

/// <summary>
/// A handle on one channel, obtained from <see cref="StateChannelClient"/>. Thread-safe: payments
/// from many callers at once are coalesced into as few state updates as possible, and each caller
/// still learns when its own payment is durably done.
/// </summary>
public class Channel
{
    private readonly ChannelMachine _machine = null!;

    /// <summary>For mocking only.</summary>
    protected Channel()
    {
    }

    internal Channel(ChannelMachine machine) => _machine = machine;

    /// <summary>For tests: the channel's state machine.</summary>
    internal ChannelMachine Machine => _machine;

    /// <summary>The channel id.</summary>
    public virtual ChannelId Id => _machine.Id;

    /// <summary>The channel's fixed parameters.</summary>
    public virtual ChannelParams Params => _machine.Record.Params;

    /// <summary>Our participant index (0 = opener).</summary>
    public virtual int MyIndex => _machine.Record.MyIndex;

    /// <summary>The peer's address.</summary>
    public virtual EthAddress Peer => _machine.PeerAddress;

    /// <summary>The current phase.</summary>
    public virtual ChannelPhase Phase => _machine.Record.Phase;

    /// <summary>The latest fully signed, durable state, or null while opening.</summary>
    public virtual SignedState? Latest => _machine.Record.Latest;

    /// <summary>Our balance in <see cref="Latest"/>.</summary>
    public virtual Amount MyBalance => Latest is { } l ? l.State.BalanceOf(MyIndex) : Amount.Zero;

    /// <summary>The peer's balance in <see cref="Latest"/>.</summary>
    public virtual Amount PeerBalance => Latest is { } l ? l.State.BalanceOf(1 - MyIndex) : Amount.Zero;

    /// <summary>
    /// Pays <paramref name="amount"/> to the peer. Completes when the fully signed state carrying
    /// the payment is durable on our side (invariant 2). Cancelling withdraws a payment that is
    /// still queued; one already proposed may still complete (watch <see cref="PaymentSent"/>). If the
    /// channel leaves the active phase first (a dispute, a force close, a conclusion seen on chain),
    /// the payment fails with <see cref="ErrorCode.WrongPhase"/>: it was not made.
    /// </summary>
    /// <exception cref="StateChannelException"><see cref="ErrorCode.InsufficientFunds"/>, <see cref="ErrorCode.WrongPhase"/>, <see cref="ErrorCode.PeerRejected"/>.</exception>
    public virtual Task<PaymentReceipt> PayAsync(Amount amount, CancellationToken cancellationToken = default) =>
        _machine.PayAsync(amount, cancellationToken);

    /// <summary>Closes cooperatively: both sign a final state, then one transaction pays both out.</summary>
    public virtual Task CloseAsync(CancellationToken cancellationToken = default) => _machine.CloseAsync(cancellationToken);

    /// <summary>
    /// Closes alone: registers our latest state, waits out the challenge period, concludes and collects.
    /// Payments still queued or in flight, and a pending <see cref="CloseAsync"/>, fail with <see cref="ErrorCode.WrongPhase"/>.
    /// </summary>
    public virtual Task ForceCloseAsync(CancellationToken cancellationToken = default) => _machine.ForceCloseAsync(cancellationToken);

    /// <summary>Withdraws any payout credited to our on-chain account for this channel's asset (when a push payout failed).</summary>
    public virtual Task WithdrawAsync(CancellationToken cancellationToken = default) =>
        _machine.WithdrawAsync(cancellationToken);
}
