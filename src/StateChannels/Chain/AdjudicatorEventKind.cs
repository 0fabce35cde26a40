namespace StateChannels;

/// <summary>The adjudicator's events that concern a channel (contracts/src/Adjudicator.sol, "Events").</summary>
public enum AdjudicatorEventKind
{
    /// <summary><c>Deposited(channelId, idx, held)</c>: a deposit arrived.</summary>
    Deposited = 1,
    /// <summary><c>Registered(channelId, version, ...)</c>: the first registration of a dispute.</summary>
    Registered = 2,
    /// <summary><c>Refuted(channelId, version, ...)</c>: a higher version replaced the registered state.</summary>
    Refuted = 3,
    /// <summary><c>Concluded(channelId, version, ...)</c>: the channel was paid out (cooperative close or conclude).</summary>
    Concluded = 4,
    /// <summary><c>PayoutCredited(channelId, recipient, asset, amount)</c>: a pushed payout failed and was credited.</summary>
    PayoutCredited = 5,
}
