namespace StateChannels;

/// <summary>What a <see cref="ChainFollower"/> needs to know (copied from the client's or the watchtower's options).</summary>
/// <param name="CursorName">The store cursor holding the last processed block.</param>
/// <param name="ReorgDepth">How many recent block hashes are kept, and how far to rewind after a restart or a reorg deeper than that history.</param>
/// <param name="MaxBlockRange">The most blocks one event query covers.</param>
/// <param name="StaleThreshold">How old the head block (or how long the RPC failing) may be before the view is stale.</param>
internal sealed record ChainFollowerSettings(string CursorName, int ReorgDepth, int MaxBlockRange, TimeSpan StaleThreshold);
