namespace StateChannels;

/// <summary>
/// The chain-events port: the adjudicator's event logs by block range, and the block headers the
/// watcher needs to follow the chain across reorgs (DESIGN.md section 7).
/// <para>Contract: implementations are thread-safe and stateless between calls (the watcher keeps
/// the cursor, in its <see cref="IChannelStore"/>). Each method throws
/// <see cref="StateChannelException"/> with <see cref="ErrorCode.ChainRpcFailure"/> when the node fails
/// or answers something malformed (a log without a channel id, a block number outside the asked
/// range, a missing hash): never a partial or invented result.</para>
/// </summary>
public interface IChainEventSource
{
    /// <summary>The current head and the newest confirmed block number.</summary>
    ValueTask<ChainHead> GetHeadAsync(CancellationToken cancellationToken = default);

    /// <summary>The block at <paramref name="number"/> on the node's current chain, or null if the chain is shorter.</summary>
    ValueTask<ChainBlock?> GetBlockAsync(ulong number, CancellationToken cancellationToken = default);

    /// <summary>
    /// The adjudicator's channel events in blocks <paramref name="fromBlock"/> to <paramref name="toBlock"/>
    /// (both inclusive), in chain order (block, then log index).
    /// </summary>
    ValueTask<IReadOnlyList<AdjudicatorEvent>> GetEventsAsync(ulong fromBlock, ulong toBlock, CancellationToken cancellationToken = default);
}
