using System.Net;
using Microsoft.Extensions.Logging;

namespace StateChannels.Net;

/// <summary>Log messages of the TCP transport; event ids 3000-3099 are stable.</summary>
internal static partial class Log
{
    [LoggerMessage(3000, LogLevel.Information, "Listening for channel peers on {LocalEndPoint}")]
    public static partial void Listening(ILogger logger, EndPoint? localEndPoint);

    [LoggerMessage(3001, LogLevel.Warning, "Refused a connection from {RemoteEndPoint}: connection limit reached")]
    public static partial void ConnectionLimitReached(ILogger logger, EndPoint? remoteEndPoint);

    [LoggerMessage(3002, LogLevel.Warning, "Handshake with {RemoteEndPoint} failed: {Failure}")]
    public static partial void HandshakeFailed(ILogger logger, EndPoint? remoteEndPoint, HandshakeFailure failure, Exception exception);

    [LoggerMessage(3003, LogLevel.Information, "Authenticated peer {Peer} at {RemoteEndPoint}")]
    public static partial void Authenticated(ILogger logger, EthAddress peer, EndPoint? remoteEndPoint);

    [LoggerMessage(3004, LogLevel.Information, "Connection to {Peer} at {RemoteEndPoint} closed: {Reason}")]
    public static partial void Closed(ILogger logger, EthAddress peer, EndPoint? remoteEndPoint, CloseReason reason);

    [LoggerMessage(3005, LogLevel.Warning, "Dropped peer {Peer} at {RemoteEndPoint}: {Reason}")]
    public static partial void Dropped(ILogger logger, EthAddress peer, EndPoint? remoteEndPoint, CloseReason reason);

    [LoggerMessage(3006, LogLevel.Information, "Connecting to {RemoteEndPoint} failed (attempt {Attempt}); retrying in {Delay}")]
    public static partial void ConnectRetry(ILogger logger, string remoteEndPoint, int attempt, TimeSpan delay, Exception? exception);

    [LoggerMessage(3007, LogLevel.Warning, "Accepting a connection failed")]
    public static partial void AcceptFailed(ILogger logger, Exception exception);

    [LoggerMessage(3008, LogLevel.Debug, "Handshake with {RemoteEndPoint} failed unexpectedly")]
    public static partial void HandshakeError(ILogger logger, EndPoint? remoteEndPoint, Exception exception);
}
