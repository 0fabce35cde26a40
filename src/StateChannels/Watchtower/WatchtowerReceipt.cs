namespace StateChannels;

/// <summary>The watchtower's answer to a submitted state.</summary>
/// <param name="ChannelId">The channel.</param>
/// <param name="Accepted">True when the state is (now, or already) the one the tower holds for the channel.</param>
/// <param name="Version">The version the tower holds for the channel after the call (0 with no state when refused outright).</param>
/// <param name="Reason">Why the state was refused; empty when accepted.</param>
public sealed record WatchtowerReceipt(ChannelId ChannelId, bool Accepted, ulong Version, string Reason);
