namespace StateChannels.Testing;

/// <summary>
/// An <see cref="IAdjudicator"/> that passes every call to <see cref="Inner"/>: a base for test
/// decorators (a flaky or slow node, a front-running griefer, a party that never funds) that
/// override only the calls they change.
/// </summary>
/// <param name="inner">The adjudicator calls go to.</param>
public class DelegatingAdjudicator(IAdjudicator inner) : IAdjudicator
{
    /// <summary>The adjudicator calls go to.</summary>
    protected IAdjudicator Inner { get; } = inner ?? throw new ArgumentNullException(nameof(inner));

    /// <inheritdoc />
    public virtual Eip712Domain Domain => Inner.Domain;

    /// <inheritdoc />
    public virtual ValueTask DepositAsync(ChannelParams channel, int index, Amount expectedHeld, Amount amount, CancellationToken cancellationToken = default) =>
        Inner.DepositAsync(channel, index, expectedHeld, amount, cancellationToken);

    /// <inheritdoc />
    public virtual ValueTask<OnChainChannel> GetChannelAsync(ChannelParams channel, CancellationToken cancellationToken = default) =>
        Inner.GetChannelAsync(channel, cancellationToken);

    /// <inheritdoc />
    public virtual ValueTask CloseAsync(ChannelParams channel, SignedState finalState, CancellationToken cancellationToken = default) =>
        Inner.CloseAsync(channel, finalState, cancellationToken);

    /// <inheritdoc />
    public virtual ValueTask RegisterAsync(ChannelParams channel, SignedState state, CancellationToken cancellationToken = default) =>
        Inner.RegisterAsync(channel, state, cancellationToken);

    /// <inheritdoc />
    public virtual ValueTask ConcludeAsync(ChannelParams channel, CancellationToken cancellationToken = default) =>
        Inner.ConcludeAsync(channel, cancellationToken);

    /// <inheritdoc />
    public virtual ValueTask WithdrawAsync(EthAddress asset, CancellationToken cancellationToken = default) =>
        Inner.WithdrawAsync(asset, cancellationToken);
}
