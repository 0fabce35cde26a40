namespace StateChannels;

/// <summary>A block header as far as the watcher needs it: to detect reorgs and a stale chain view.</summary>
/// <param name="Number">The block number.</param>
/// <param name="Hash">The block hash.</param>
/// <param name="ParentHash">The parent block's hash.</param>
/// <param name="Timestamp">The block's timestamp (block time, not wall-clock time).</param>
public sealed record ChainBlock(ulong Number, Hash32 Hash, Hash32 ParentHash, DateTimeOffset Timestamp);
