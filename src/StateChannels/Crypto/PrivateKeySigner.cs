namespace StateChannels;

/// <summary>
/// An <see cref="IChannelSigner"/> over an in-process <see cref="PrivateKey"/>: signs only states and
/// handshakes, never arbitrary digests (F1). Thread-safe. Disposing it zeroes the key.
/// </summary>
public sealed class PrivateKeySigner : IChannelSigner, IDisposable
{
    private readonly PrivateKey _key;
    private readonly ISecp256k1 _secp256k1;

    /// <summary>Signs with the default managed secp256k1 (<see cref="ManagedSecp256k1"/>).</summary>
    /// <param name="key">The key; disposed with this signer.</param>
    public PrivateKeySigner(PrivateKey key)
        : this(key, ManagedSecp256k1.Instance)
    {
    }

    /// <summary>Signs with <paramref name="secp256k1"/> (e.g. native libsecp256k1 from StateChannels.Crypto.Native): the same signatures, byte for byte.</summary>
    /// <param name="key">The key; disposed with this signer.</param>
    /// <param name="secp256k1">The secp256k1 implementation.</param>
    public PrivateKeySigner(PrivateKey key, ISecp256k1 secp256k1)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(secp256k1);
        _key = key;
        _secp256k1 = secp256k1;
    }

    /// <inheritdoc />
    public EthAddress Address => _key.Address;

    /// <inheritdoc />
    public Signature SignState(Eip712Domain domain, ChannelState state) => _key.Sign(Eip712.HashState(domain, state), _secp256k1);

    /// <inheritdoc />
    public Signature SignHandshake(Eip712Domain domain, Hash32 challenge, EthAddress peer) =>
        _key.Sign(Eip712.HashHandshake(domain, challenge, peer), _secp256k1);

    /// <inheritdoc />
    public void Dispose() => _key.Dispose();
}
