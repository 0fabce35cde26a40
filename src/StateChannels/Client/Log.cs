using Microsoft.Extensions.Logging;

namespace StateChannels;

/// <summary>Log messages of the client, with stable event ids. Never logs keys or whole signatures.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "connection to {Peer} failed ({Code}): {Reason}")]
    public static partial void ConnectionFailed(ILogger logger, EthAddress peer, ErrorCode code, string reason);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Error, Message = "channel {ChannelId}: stored state does not verify ({Reason}); marked fallen-behind, will sync from the peer")]
    public static partial void StoredStateInvalid(ILogger logger, ChannelId channelId, string reason);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "channel {ChannelId}: rejecting version {Version}: {Reason}")]
    public static partial void Rejecting(ILogger logger, ChannelId channelId, ulong version, string reason);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Error, Message = "channel {ChannelId}: equivocation at version {Version}: {Detail}")]
    public static partial void Equivocation(ILogger logger, ChannelId channelId, ulong version, string detail);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Warning, Message = "channel {ChannelId}: {What} within {Timeout}; reconnecting")]
    public static partial void AnswerTimedOut(ILogger logger, ChannelId channelId, string what, TimeSpan timeout);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Warning, Message = "channel {ChannelId}: peer {Peer} misbehaved: {Reason}")]
    public static partial void PeerMisbehaved(ILogger logger, ChannelId channelId, EthAddress peer, string reason);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Warning, Message = "channel {ChannelId}: watcher failed ({Code}): {Reason}")]
    public static partial void WatchFailed(ILogger logger, ChannelId channelId, ErrorCode code, string reason);

    [LoggerMessage(EventId = 1009, Level = LogLevel.Warning, Message = "channel {ChannelId}: our deposit failed or is unconfirmed ({Reason}); reading the chain again (deposits are bounded by MaxDepositAttempts, the wait by the funding timeout)")]
    public static partial void DepositReverted(ILogger logger, ChannelId channelId, string reason);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Warning, Message = "channel {ChannelId}: funding timed out and the refund could not be started ({Code}): {Reason}; ForceCloseAsync retries it")]
    public static partial void RefundNotStarted(ILogger logger, ChannelId channelId, ErrorCode code, string reason);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Critical, Message = "channel {ChannelId}: another instance signs with our key (version {Version}: {Detail}); this client signs nothing more")]
    public static partial void KeyInUse(ILogger logger, ChannelId channelId, ulong version, string detail);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Warning, Message = "channel {ChannelId}: the chain shows it settling (registered version {Version}, concluded {Concluded}) before it was usable; it will never carry payments")]
    public static partial void SettlingBeforeUse(ILogger logger, ChannelId channelId, ulong? version, bool concluded);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Information, Message = "dropping connection to {Peer}: {Reason}")]
    public static partial void DroppingConnection(ILogger logger, EthAddress peer, string reason);
}
