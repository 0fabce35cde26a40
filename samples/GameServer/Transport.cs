using StateChannels.Net;

namespace GameServer;

/// <summary>TCP settings for one hub with many players on loopback: all of them come from 127.0.0.1.</summary>
internal static class Transport
{
    public static TcpTransportOptions Options(int players) => new()
    {
        MaxConnections = players + 16,
        MaxConnectionsPerAddress = players + 16,
        InboundFramesPerSecond = 200_000,
        InboundFrameBurst = 400_000,
        SendQueueCapacity = 1024,
        ReceiveQueueCapacity = 1024,
    };
}
