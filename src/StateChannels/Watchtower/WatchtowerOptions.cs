namespace StateChannels;

/// <summary>Options of a <see cref="WatchtowerService"/>. Validated once, at construction.</summary>
public class WatchtowerOptions
{
    /// <summary>How often the chain is polled for new events and disputes are looked at. Default 1 s.</summary>
    public TimeSpan ChainPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>When the chain view counts as stale (head block this old, or the RPC failing this long): <see cref="ChainStale"/> is raised. Default 5 minutes.</summary>
    public TimeSpan StaleChainThreshold { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Blocks of history kept to detect reorgs, and re-read after a restart. Default 64 blocks; at least 1.</summary>
    public int ReorgDepth { get; set; } = 64;

    /// <summary>The most blocks one event query spans. Default 2,000 blocks; at least 1.</summary>
    public int MaxBlockRange { get; set; } = 2_000;

    /// <summary>Channels one client (the authenticated address that first submitted them) may have watched at most: bounds what a client can make the tower store; its counterparties are not charged. Default 10,000.</summary>
    public int MaxChannelsPerClient { get; set; } = 10_000;

    /// <summary>
    /// Channels looked at per pass besides those new events touch and those in dispute: the
    /// catch-up after a start, hand-overs and retries are taken this many at a time, oldest first,
    /// so a flood of channels from one client never delays the look a new registration triggers by
    /// more than one slice. Default 200; at least 1.
    /// </summary>
    public int MaxLooksPerPass { get; set; } = 200;

    /// <summary>
    /// Channels the tower holds at most, over all clients (any key can be a client, so the
    /// per-client bound alone bounds nothing). Submissions beyond it are refused. Default 1,000,000.
    /// </summary>
    public int MaxChannels { get; set; } = 1_000_000;

    /// <summary>Events buffered per reader of <see cref="WatchtowerService.EventsAsync"/> before the oldest are dropped. Default 10,000.</summary>
    public int EventBufferSize { get; set; } = 10_000;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ChainPollInterval, TimeSpan.Zero, nameof(ChainPollInterval));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(StaleChainThreshold, TimeSpan.Zero, nameof(StaleChainThreshold));
        ArgumentOutOfRangeException.ThrowIfLessThan(ReorgDepth, 1, nameof(ReorgDepth));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBlockRange, 1, nameof(MaxBlockRange));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxChannelsPerClient, 1, nameof(MaxChannelsPerClient));
        ArgumentOutOfRangeException.ThrowIfLessThan(EventBufferSize, 1, nameof(EventBufferSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxLooksPerPass, 1, nameof(MaxLooksPerPass));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxChannels, 1, nameof(MaxChannels));
    }
}
