namespace StateChannels;

/// <summary>The chain's head and the newest block deep enough to read events from.</summary>
/// <param name="Head">The newest block the node knows (its timestamp tells whether the view is stale).</param>
/// <param name="ConfirmedNumber">The newest block at the confirmation depth: head − depth + 1 (the head itself at depth 1).</param>
public sealed record ChainHead(ChainBlock Head, ulong ConfirmedNumber);
