namespace StateChannels.Net;

/// <summary>How the TCP transport protects a connection (<see cref="TcpTransportOptions.Encryption"/>).</summary>
public enum TransportEncryption
{
    /// <summary>
    /// Noise_XK over secp256k1 with ChaCha20-Poly1305, as BOLT 8 specifies it (the default): everything after
    /// the 166 handshake bytes is encrypted and authenticated, lengths included. The dialer must know the
    /// listener's <see cref="Noise.NoisePublicKey"/> (<see cref="TcpPeerAddress"/>).
    /// </summary>
    Noise = 0,

    /// <summary>
    /// Plaintext, for tests only: anyone on the path reads who pays whom and how much, and can inject or cut
    /// frames (the signed handshake still authenticates the peer). Never use it across a network.
    /// </summary>
    None = 1,
}
