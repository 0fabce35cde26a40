namespace StateChannels.Testing;

/// <summary>
/// The <see cref="IChainEventSource"/> of a <see cref="SimulatedChain"/>: its blocks (one per
/// successful transaction, confirmation depth 1) and the adjudicator events they hold. Set
/// <see cref="SimulatedChain.Halted"/> or <see cref="SimulatedChain.FailEventReads"/> to test a stale
/// or unreachable chain view. Thread-safe.
/// </summary>
public sealed class SimulatedEventSource : IChainEventSource
{
    private readonly SimulatedChain _chain;

    internal SimulatedEventSource(SimulatedChain chain) => _chain = chain;

    /// <inheritdoc />
    public ValueTask<ChainHead> GetHeadAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(_chain.Head());
    }

    /// <inheritdoc />
    public ValueTask<ChainBlock?> GetBlockAsync(ulong number, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(_chain.Block(number));
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<AdjudicatorEvent>> GetEventsAsync(ulong fromBlock, ulong toBlock, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(_chain.EventsIn(fromBlock, toBlock));
    }
}
