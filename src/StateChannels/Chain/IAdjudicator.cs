namespace StateChannels;

/// <summary>
/// The chain port: the adjudicator contract as the core sees it (contracts/src/Adjudicator.sol).
/// <para>Contract: every call that sends a transaction returns only after the transaction is mined
/// and has the configured confirmation depth, and throws <see cref="StateChannelException"/>
/// (<see cref="ErrorCode.TransactionFailed"/>) if it reverted, (<see cref="ErrorCode.ChainRpcFailure"/>)
/// if the node failed or answered nonsense. Implementations are thread-safe and never report a
/// deposit or a conclusion that is not confirmed.</para>
/// </summary>
public interface IAdjudicator
{
    /// <summary>The EIP-712 domain (chain id, adjudicator address) states are signed in.</summary>
    Eip712Domain Domain { get; }

    /// <summary>
    /// Tops participant <paramref name="index"/> up to <paramref name="expectedHeld"/> + <paramref name="amount"/>
    /// (what it held when the caller looked, plus what the caller adds): credits at most <paramref name="amount"/>,
    /// only what is still missing to that target, and nothing when it is already reached (a repeated call never
    /// deposits twice); the rest is not taken. A deposit by anyone else never makes this one revert.
    /// </summary>
    ValueTask DepositAsync(ChannelParams channel, int index, Amount expectedHeld, Amount amount, CancellationToken cancellationToken = default);

    /// <summary>The channel's on-chain view at the confirmation depth.</summary>
    ValueTask<OnChainChannel> GetChannelAsync(ChannelParams channel, CancellationToken cancellationToken = default);

    /// <summary>Cooperative close with a final state signed by both: pays both out at once.</summary>
    ValueTask CloseAsync(ChannelParams channel, SignedState finalState, CancellationToken cancellationToken = default);

    /// <summary>Registers (or refutes with) a fully signed state. Re-registering the registered state is a no-op.</summary>
    ValueTask RegisterAsync(ChannelParams channel, SignedState state, CancellationToken cancellationToken = default);

    /// <summary>After the challenge deadline, concludes the channel with the registered state and pays out.</summary>
    ValueTask ConcludeAsync(ChannelParams channel, CancellationToken cancellationToken = default);

    /// <summary>Withdraws this account's credited payouts of <paramref name="asset"/> (credits arise when a push payout failed).</summary>
    ValueTask WithdrawAsync(EthAddress asset, CancellationToken cancellationToken = default);
}
