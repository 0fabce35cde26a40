namespace StateChannels;

/// <summary>
/// An <see cref="IChannelSigner"/> over an in-process <see cref="PrivateKey"/>: signs only states and
/// handshakes, never arbitrary digests (F1). Thread-safe. Disposing it zeroes the key.
/// </summary>
public sealed class PrivateKeySigner(PrivateKey key) : IChannelSigner, IDisposable
{
    /// <inheritdoc />
    public EthAddress Address => key.Address;

    /// <inheritdoc />
    public Signature SignState(Eip712Domain domain, ChannelState state) => key.Sign(Eip712.HashState(domain, state));

    /// <inheritdoc />
    public Signature SignHandshake(Eip712Domain domain, Hash32 challenge, EthAddress peer) =>
        key.Sign(Eip712.HashHandshake(domain, challenge, peer));

    /// <inheritdoc />
    public void Dispose() => key.Dispose();
}
