namespace StateChannels.Net;

/// <summary>Why a connection ended (diagnostics, logs and tests).</summary>
internal enum CloseReason
{
    /// <summary>Still open.</summary>
    None = 0,

    /// <summary>Closed locally (<see cref="TcpMessageConnection.DisposeAsync"/> or the listener shut down).</summary>
    Local,

    /// <summary>The peer sent a close frame or ended the stream between frames.</summary>
    PeerClosed,

    /// <summary>The socket failed or the stream ended in the middle of a frame.</summary>
    ConnectionLost,

    /// <summary>The peer sent a frame of an unknown or unexpected kind, or with a bad payload.</summary>
    ProtocolViolation,

    /// <summary>The peer declared a frame larger than allowed.</summary>
    FrameTooLarge,

    /// <summary>Nothing arrived for <see cref="TcpTransportOptions.ReceiveIdleTimeout"/>.</summary>
    IdleTimeout,

    /// <summary>A frame took longer than <see cref="TcpTransportOptions.FrameReadTimeout"/> to arrive.</summary>
    FrameTimeout,

    /// <summary>A socket write took longer than <see cref="TcpTransportOptions.SendTimeout"/>.</summary>
    SendTimeout,

    /// <summary>The peer exceeded the inbound frame rate.</summary>
    RateLimited,

    /// <summary>An encrypted message failed its MAC check: tampered, replayed, reordered or truncated ciphertext.</summary>
    DecryptionFailed,
}
