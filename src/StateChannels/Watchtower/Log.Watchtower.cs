using Microsoft.Extensions.Logging;

namespace StateChannels;

/// <content>Log messages of the watchtower and its feeder (event ids 1040..1059).</content>
internal static partial class Log
{
    [LoggerMessage(EventId = 1040, Level = LogLevel.Debug, Message = "watchtower: channel {ChannelId} now watched at version {Version}")]
    public static partial void TowerAccepted(ILogger logger, ChannelId channelId, ulong version);

    [LoggerMessage(EventId = 1041, Level = LogLevel.Information, Message = "watchtower: refused a state of channel {ChannelId}: {Reason}")]
    public static partial void TowerRefused(ILogger logger, ChannelId channelId, string reason);

    [LoggerMessage(EventId = 1042, Level = LogLevel.Warning, Message = "watchtower: channel {ChannelId}: version {Registered} was registered; refuted with version {Version}")]
    public static partial void TowerRefuted(ILogger logger, ChannelId channelId, ulong registered, ulong version);

    [LoggerMessage(EventId = 1043, Level = LogLevel.Information, Message = "watchtower: dropping client {Client}: {Reason}")]
    public static partial void TowerDroppedClient(ILogger logger, EthAddress client, string reason);

    [LoggerMessage(EventId = 1044, Level = LogLevel.Error, Message = "watchtower: stored channel {ChannelId} skipped: {Reason}")]
    public static partial void TowerRecordInvalid(ILogger logger, ChannelId channelId, string reason);

    [LoggerMessage(EventId = 1045, Level = LogLevel.Warning, Message = "watchtower feeder: the tower refused version {Version} of channel {ChannelId}: {Reason}")]
    public static partial void FeederRefused(ILogger logger, ChannelId channelId, ulong version, string reason);
}
