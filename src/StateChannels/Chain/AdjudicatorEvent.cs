namespace StateChannels;

/// <summary>
/// One adjudicator event log, as the chain reported it. The watcher treats events as hints of
/// which channels to look at, never as evidence: it acts on the channel's on-chain view read at
/// the confirmation depth. Events may be delivered more than once (overlapping windows, rewinds
/// after a reorg or a restart); consumers must be idempotent.
/// </summary>
/// <param name="Kind">Which event.</param>
/// <param name="ChannelId">The channel (the event's indexed <c>channelId</c>).</param>
/// <param name="BlockNumber">The block that holds the log.</param>
/// <param name="BlockHash">The hash of that block.</param>
/// <param name="LogIndex">The log's index in its block.</param>
/// <param name="Removed">True when the node reports that a reorg removed the log (JSON-RPC <c>removed: true</c>).</param>
public sealed record AdjudicatorEvent(
    AdjudicatorEventKind Kind, ChannelId ChannelId, ulong BlockNumber, Hash32 BlockHash, ulong LogIndex, bool Removed = false);
