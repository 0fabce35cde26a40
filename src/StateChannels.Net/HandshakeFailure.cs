namespace StateChannels.Net;

/// <summary>Why an authentication handshake failed. Stable: values are never renumbered (they also travel in close frames).</summary>
public enum HandshakeFailure
{
    /// <summary>The peer sent something other than the expected handshake frame, or a frame of the wrong size.</summary>
    Malformed = 1,

    /// <summary>The hello did not start with the StateChannels magic: not our protocol.</summary>
    WrongMagic = 2,

    /// <summary>The peer speaks a protocol version this library does not.</summary>
    UnsupportedVersion = 3,

    /// <summary>The peer claimed the zero address or our own address.</summary>
    InvalidAddress = 4,

    /// <summary>The peer authenticated as an address other than the one the dialer required.</summary>
    UnexpectedPeer = 5,

    /// <summary>The peer's answer is not a valid signature of our challenge by the address it claimed.</summary>
    InvalidSignature = 6,

    /// <summary>The peer refused our handshake (it sent a close frame; its reason is in the message when known).</summary>
    RejectedByPeer = 7,

    /// <summary>The handshake did not finish within <see cref="TcpTransportOptions.HandshakeTimeout"/>.</summary>
    Timeout = 8,

    /// <summary>The connection failed or was closed during the handshake.</summary>
    ConnectionLost = 9,

    /// <summary>The Noise (BOLT 8) handshake under the authentication failed: bad act version, key or MAC. A listener
    /// whose static key the dialer does not know drops the dialer silently, which the dialer sees as <see cref="ConnectionLost"/>.</summary>
    EncryptionFailed = 10,
}
