using System.Diagnostics.Metrics;

namespace StateChannels;

/// <summary>Options of a <see cref="StateChannelClient"/>. Validated once, at construction.</summary>
public class StateChannelClientOptions
{
    /// <summary>How long a proposal may wait for the peer's answer before the connection is dropped and re-established. Default 10 s.</summary>
    public TimeSpan UpdateTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a payment may wait to be fully signed, across disconnects and reconnects, before
    /// <c>PayAsync</c> fails with <see cref="ErrorCode.Timeout"/>. Only a payment we never signed
    /// fails: one queued, or in our proposal the peer has not answered (dropped, never signed by
    /// us, so never made). A cooperative close (<c>CloseAsync</c>) whose final state the peer has not
    /// signed by then fails the same way. Default 2 minutes.
    /// </summary>
    public TimeSpan PaymentTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How long after version 0 both deposits must be confirmed before the channel is aborted. Default 1 hour. Separate from the challenge duration.
    /// On abort, a client that deposited registers version 0 to get its deposit back after the challenge period (see <see cref="FundingTimedOut"/>).
    /// </summary>
    public TimeSpan FundingTimeout { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How often the chain is polled while waiting for deposits or a deadline. Default 1 s.</summary>
    public TimeSpan ChainPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Challenge duration of channels we open. Default 1 hour; must lie within [<see cref="MinChallengeDuration"/>, <see cref="MaxChallengeDuration"/>].</summary>
    public TimeSpan ChallengeDuration { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// The shortest challenge duration we accept in a channel the peer opens (and use ourselves).
    /// It must cover everything between the peer's registration and our refute being mined: the
    /// confirmation depth times the block time, a <see cref="ChainPollInterval"/>, a stale-node
    /// alarm (<see cref="StaleChainThreshold"/>) and the inclusion time of our transaction with fee
    /// bumps, plus the time we may be offline without a watchtower (README, security model).
    /// Default 1 hour; at least 4 × <see cref="ChainPollInterval"/>.
    /// </summary>
    public TimeSpan MinChallengeDuration { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// The longest challenge duration we accept: a dispute can lock our deposit this long after a
    /// registration. Default 7 days.
    /// </summary>
    public TimeSpan MaxChallengeDuration { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// The most the opener of a channel with us may deposit itself (its funding in its proposal).
    /// Default <see cref="ChannelParams.FundingLimit"/>: any amount the adjudicator accepts (below 2^120).
    /// Lower it to cap what one channel may carry.
    /// </summary>
    public Amount MaxPeerFunding { get; set; } = ChannelParams.FundingLimit;

    /// <summary>
    /// How long after a final state is fully signed we leave its submission to the peer (it asked
    /// for the close and normally submits it at once) before submitting it ourselves, so a peer that
    /// co-signs a close and then never submits it cannot leave our money in the channel. Needs the
    /// watcher (<see cref="StateChannelClient.RunWatcherAsync"/>). Default 1 minute.
    /// </summary>
    public TimeSpan CloseSubmitDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How many deposit transactions we send for one channel at most before waiting out the funding timeout. Default 3.</summary>
    public int MaxDepositAttempts { get; set; } = 3;

    /// <summary>Asset of channels we open: <see cref="EthAddress.Zero"/> for ETH (default) or an ERC-20 token.</summary>
    public EthAddress Asset { get; set; } = EthAddress.Zero;

    /// <summary>The most we deposit into a channel the peer opens (our funding in its proposal). Default 0: we accept only channels we need not fund.</summary>
    public Amount MaxAcceptedFunding { get; set; } = Amount.Zero;

    /// <summary>Payments queued per channel at most (beyond that <c>PayAsync</c> fails fast). Default 100,000.</summary>
    public int MaxQueuedPayments { get; set; } = 100_000;

    /// <summary>Events buffered per reader of <see cref="StateChannelClient.EventsAsync"/> before the oldest are dropped. Default 10,000.</summary>
    public int EventBufferSize { get; set; } = 10_000;

    /// <summary>
    /// Set when the store was restored from a backup (or copied from another machine). Every loaded
    /// channel is then treated as fallen behind: no payment, force close or watcher action until a
    /// reestablish with the peer has shown our copy is current or brought it up to date, because a
    /// backup is older than the truth and registering an old state loses money. Default false.
    /// </summary>
    public bool RestoredFromBackup { get; set; }

    /// <summary>Channels a single peer may hold open with us at most (B11 griefing bound). Default 1,000.</summary>
    public int MaxChannelsPerPeer { get; set; } = 1_000;

    /// <summary>
    /// Creates the client's <see cref="Meter"/> (named <see cref="StateChannelMetrics.MeterName"/>), as
    /// a host's dependency injection provides it. Default null: the client creates its own meter and
    /// disposes it with itself.
    /// </summary>
    public IMeterFactory? MeterFactory { get; set; }

    /// <summary>
    /// When the chain view counts as stale: the head block's timestamp lags the client's clock by
    /// more than this, or the chain RPC has failed continuously for this long. The watcher then
    /// raises <see cref="ChainStale"/> (and <see cref="ChainFresh"/> when it recovers). Needs an
    /// <see cref="IChainEventSource"/>. Default 5 minutes; keep it well below the challenge duration.
    /// </summary>
    public TimeSpan StaleChainThreshold { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Blocks of history the watcher keeps to detect reorgs, and how far it re-reads after a restart
    /// or a reorg deeper than that history (re-reading is harmless). Default 64 blocks; at least 1.
    /// </summary>
    public int ReorgDepth { get; set; } = 64;

    /// <summary>The most blocks one event query spans (nodes limit eth_getLogs ranges). Default 2,000 blocks; at least 1.</summary>
    public int MaxBlockRange { get; set; } = 2_000;

    /// <summary>
    /// The secp256k1 implementation that verifies the peer's signatures (recovery) in the engine and
    /// on load. Default <see cref="ManagedSecp256k1.Instance"/>; StateChannels.Crypto.Native offers
    /// libsecp256k1, several times faster. Signing is chosen where the signer is built
    /// (<see cref="PrivateKeySigner(PrivateKey, ISecp256k1)"/>). Every implementation gives the same results.
    /// </summary>
    public ISecp256k1 Secp256k1 { get; set; } = ManagedSecp256k1.Instance;

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Secp256k1, nameof(Secp256k1));
        Positive(StaleChainThreshold, nameof(StaleChainThreshold));
        ArgumentOutOfRangeException.ThrowIfLessThan(ReorgDepth, 1, nameof(ReorgDepth));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBlockRange, 1, nameof(MaxBlockRange));
        Positive(UpdateTimeout, nameof(UpdateTimeout));
        Positive(PaymentTimeout, nameof(PaymentTimeout));
        Positive(FundingTimeout, nameof(FundingTimeout));
        Positive(ChainPollInterval, nameof(ChainPollInterval));
        Positive(ChallengeDuration, nameof(ChallengeDuration));
        if (MinChallengeDuration < ChainPollInterval * 4)
        {
            throw new ArgumentOutOfRangeException(nameof(MinChallengeDuration), MinChallengeDuration, "must be at least 4 × ChainPollInterval");
        }

        if (MaxChallengeDuration < MinChallengeDuration)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxChallengeDuration), MaxChallengeDuration, "must be at least MinChallengeDuration");
        }

        if (ChallengeDuration < MinChallengeDuration || ChallengeDuration > MaxChallengeDuration)
        {
            throw new ArgumentOutOfRangeException(
                nameof(ChallengeDuration), ChallengeDuration, $"must lie within MinChallengeDuration ({MinChallengeDuration}) and MaxChallengeDuration ({MaxChallengeDuration})");
        }

        if (CloseSubmitDelay < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(CloseSubmitDelay), CloseSubmitDelay, "must not be negative");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDepositAttempts, 1, nameof(MaxDepositAttempts));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxQueuedPayments, 1, nameof(MaxQueuedPayments));
        ArgumentOutOfRangeException.ThrowIfLessThan(EventBufferSize, 1, nameof(EventBufferSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxChannelsPerPeer, 1, nameof(MaxChannelsPerPeer));
    }

    private static void Positive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(name, value, "must be positive");
        }
    }
}
