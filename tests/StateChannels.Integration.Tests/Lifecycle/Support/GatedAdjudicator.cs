namespace StateChannels.Integration.Tests.Lifecycle.Support;

/// <summary>
/// The chain port as a client sees it, passed through to the real adjudicator, except that a
/// party can be made to never fund: <see cref="RefuseDeposits"/> turns its deposits into no-ops
/// (as a peer that signs version 0 and then walks away).
/// </summary>
public sealed class GatedAdjudicator(IAdjudicator inner) : IAdjudicator
{
    private int _deposits;

    /// <summary>When set, deposits silently do nothing.</summary>
    public bool RefuseDeposits { get; set; }

    /// <summary>Deposits attempted by the client (refused ones included).</summary>
    public int DepositCalls => Volatile.Read(ref _deposits);

    public Eip712Domain Domain => inner.Domain;

    public ValueTask DepositAsync(ChannelParams channel, int index, Amount expectedHeld, Amount amount, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _deposits);
        return RefuseDeposits ? ValueTask.CompletedTask : inner.DepositAsync(channel, index, expectedHeld, amount, cancellationToken);
    }

    public ValueTask<OnChainChannel> GetChannelAsync(ChannelParams channel, CancellationToken cancellationToken = default) =>
        inner.GetChannelAsync(channel, cancellationToken);

    public ValueTask CloseAsync(ChannelParams channel, SignedState finalState, CancellationToken cancellationToken = default) =>
        inner.CloseAsync(channel, finalState, cancellationToken);

    public ValueTask RegisterAsync(ChannelParams channel, SignedState state, CancellationToken cancellationToken = default) =>
        inner.RegisterAsync(channel, state, cancellationToken);

    public ValueTask ConcludeAsync(ChannelParams channel, CancellationToken cancellationToken = default) =>
        inner.ConcludeAsync(channel, cancellationToken);

    public ValueTask WithdrawAsync(EthAddress asset, CancellationToken cancellationToken = default) =>
        inner.WithdrawAsync(asset, cancellationToken);
}
