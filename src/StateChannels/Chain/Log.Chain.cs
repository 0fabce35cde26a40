using Microsoft.Extensions.Logging;

namespace StateChannels;

/// <content>Log messages of the chain follower and the watcher loop (event ids 1020..1039).</content>
internal static partial class Log
{
    [LoggerMessage(EventId = 1020, Level = LogLevel.Information, Message = "chain events ({Cursor}): following from block {Block} (stored cursor {Stored})")]
    public static partial void FollowingFrom(ILogger logger, string cursor, ulong block, ulong? stored);

    [LoggerMessage(EventId = 1021, Level = LogLevel.Warning, Message = "chain reorg: processed block {Block} was replaced; reading again from block {Next}")]
    public static partial void ReorgDetected(ILogger logger, ulong block, ulong next);

    [LoggerMessage(EventId = 1022, Level = LogLevel.Information, Message = "chain events: blocks {From}..{To} changed while being read; reading them again")]
    public static partial void WindowChanged(ILogger logger, ulong from, ulong to);

    [LoggerMessage(EventId = 1023, Level = LogLevel.Warning, Message = "chain view is STALE: {Reason}. Disputes cannot be seen or answered in time until it recovers")]
    public static partial void ChainStale(ILogger logger, string reason);

    [LoggerMessage(EventId = 1024, Level = LogLevel.Information, Message = "chain view is fresh again: {Reason}")]
    public static partial void ChainFresh(ILogger logger, string reason);

    [LoggerMessage(EventId = 1025, Level = LogLevel.Warning, Message = "chain events: polling failed ({Code}): {Reason}")]
    public static partial void ChainPollFailed(ILogger logger, ErrorCode code, string reason);

    [LoggerMessage(EventId = 1026, Level = LogLevel.Warning, Message = "channel {ChannelId}: reading the funding on chain failed ({Code}): {Reason}; looking again")]
    public static partial void FundingReadFailed(ILogger logger, ChannelId channelId, ErrorCode code, string reason);

    [LoggerMessage(EventId = 1027, Level = LogLevel.Debug, Message = "chain events ({Cursor}): blocks {From}..{To} processed ({Channels} channels touched)")]
    public static partial void WindowProcessed(ILogger logger, string cursor, ulong from, ulong to, int channels);
}
