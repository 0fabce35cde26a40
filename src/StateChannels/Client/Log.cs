using Microsoft.Extensions.Logging;

namespace StateChannels;

/// <summary>Log messages of the client, with stable event ids. Never logs keys or whole signatures.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "connection to {Peer} failed ({Code}): {Reason}")]
    public static partial void ConnectionFailed(ILogger logger, EthAddress peer, ErrorCode code, string reason);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Error, Message = "channel {ChannelId}: stored state does not verify ({Reason}); marked fallen-behind, will sync from the peer")]
    public static partial void StoredStateInvalid(ILogger logger, ChannelId channelId, string reason);
}
