using System.Net;
using StateChannels.Net.Noise;

namespace StateChannels.Net.WebSockets;

/// <summary>
/// An authenticated (and, unless <see cref="TransportEncryption.None"/>, Noise-encrypted) connection to one peer over
/// a WebSocket, handed out by <see cref="WebSocketChannelServer"/> or <see cref="WebSocketChannelDialer"/>. It is the
/// TCP transport's connection over another byte stream, with the same contract (see <see cref="TcpMessageConnection"/>):
/// concurrent sends, one reader, keepalive pings, the idle, frame and send timeouts, the inbound rate limit, and a
/// peer dropped for an oversized, malformed, tampered or never-ending frame.
/// </summary>
public sealed class WebSocketMessageConnection : IMessageConnection
{
    internal WebSocketMessageConnection(TcpMessageConnection inner) => Inner = inner;

    /// <summary>The peer's authenticated address (its channel signing key's address).</summary>
    public EthAddress Peer => Inner.Peer;

    /// <summary>The peer's Noise static key, proven in the encrypted handshake; <see langword="null"/> in plaintext mode.</summary>
    public NoisePublicKey? PeerNoiseKey => Inner.PeerNoiseKey;

    /// <summary>The peer's end point as this side sees it (behind an ingress: the ingress, unless forwarded headers are applied).</summary>
    public EndPoint? RemoteEndPoint => Inner.RemoteEndPoint;

    /// <summary>Completes (never faults) once the connection is closed, by either side or by a limit.</summary>
    public Task Completion => Inner.Completion;

    /// <summary>The shared implementation (tests read its close reason).</summary>
    internal TcpMessageConnection Inner { get; }

    /// <inheritdoc cref="TcpMessageConnection.SendAsync"/>
    public ValueTask SendAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken = default) => Inner.SendAsync(frame, cancellationToken);

    /// <inheritdoc cref="TcpMessageConnection.ReceiveAsync"/>
    public ValueTask<ReadOnlyMemory<byte>?> ReceiveAsync(CancellationToken cancellationToken = default) => Inner.ReceiveAsync(cancellationToken);

    /// <inheritdoc cref="TcpMessageConnection.DisposeAsync"/>
    public ValueTask DisposeAsync() => Inner.DisposeAsync();
}
