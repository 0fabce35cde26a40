namespace StateChannels.Testing;

/// <summary>One account's view of a <see cref="SimulatedChain"/>: the <see cref="IAdjudicator"/> a test client uses.</summary>
public sealed class SimulatedAdjudicator : IAdjudicator
{
    private readonly SimulatedChain _chain;
    private readonly EthAddress _account;

    internal SimulatedAdjudicator(SimulatedChain chain, EthAddress account)
    {
        _chain = chain;
        _account = account;
    }

    /// <inheritdoc />
    public Eip712Domain Domain => _chain.Domain;

    /// <inheritdoc />
    public ValueTask DepositAsync(ChannelParams channel, int index, Amount expectedHeld, Amount amount, CancellationToken cancellationToken = default) =>
        Run(() => _chain.Deposit(channel, index, expectedHeld, amount), cancellationToken);

    /// <inheritdoc />
    public ValueTask<OnChainChannel> GetChannelAsync(ChannelParams channel, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(_chain.Get(channel));
    }

    /// <inheritdoc />
    public ValueTask CloseAsync(ChannelParams channel, SignedState finalState, CancellationToken cancellationToken = default) =>
        Run(() => _chain.Close(channel, finalState), cancellationToken);

    /// <inheritdoc />
    public ValueTask RegisterAsync(ChannelParams channel, SignedState state, CancellationToken cancellationToken = default) =>
        Run(() => _chain.Register(channel, state), cancellationToken);

    /// <inheritdoc />
    public ValueTask ConcludeAsync(ChannelParams channel, CancellationToken cancellationToken = default) =>
        Run(() => _chain.Conclude(channel), cancellationToken);

    /// <inheritdoc />
    public ValueTask WithdrawAsync(EthAddress asset, CancellationToken cancellationToken = default) =>
        Run(() => _chain.Withdraw(_account, asset), cancellationToken);

    private static ValueTask Run(Action action, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        action();
        return ValueTask.CompletedTask;
    }
}
