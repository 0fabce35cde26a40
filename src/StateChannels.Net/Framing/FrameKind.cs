namespace StateChannels.Net.Framing;

/// <summary>The one-byte kind that follows the length prefix of every frame.</summary>
internal enum FrameKind : byte
{
    /// <summary>An application frame: the only kind that reaches <see cref="TcpMessageConnection.ReceiveAsync"/>.</summary>
    Data = 0x01,

    /// <summary>Keepalive request; empty payload. Answered with <see cref="Pong"/>.</summary>
    Ping = 0x02,

    /// <summary>Keepalive answer; empty payload.</summary>
    Pong = 0x03,

    /// <summary>Orderly close; payload empty or one byte (a <see cref="HandshakeFailure"/> when a handshake is refused).</summary>
    Close = 0x04,

    /// <summary>Handshake step 1: magic, protocol version, address, challenge.</summary>
    Hello = 0x10,

    /// <summary>Handshake step 2: the 65-byte answer to the peer's challenge.</summary>
    Auth = 0x11,
}
