namespace StateChannels;

/// <summary>The life of a channel. Transitions are checked by <see cref="ChannelPhases"/>.</summary>
public enum ChannelPhase
{
    /// <summary>Opening: params agreed, version 0 being signed.</summary>
    Proposed = 0,
    /// <summary>Version 0 is fully signed and durable; deposits are under way or awaited.</summary>
    Funding = 1,
    /// <summary>Both deposits are confirmed to the configured depth: payments flow.</summary>
    Active = 2,
    /// <summary>A final state is being signed or has been signed; no more payments.</summary>
    Closing = 3,
    /// <summary>A state is registered on chain; waiting for the challenge deadline.</summary>
    Disputed = 4,
    /// <summary>Concluded on chain; payouts made or credited.</summary>
    Closed = 5,
    /// <summary>Funding never completed; deposits were or are being refunded.</summary>
    Aborted = 6,
}
