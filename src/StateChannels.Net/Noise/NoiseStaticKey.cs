using System.Security.Cryptography;
using NBitcoin.Secp256k1;

namespace StateChannels.Net.Noise;

/// <summary>
/// A node's Noise static key pair (secp256k1), separate from its channel signing key: it only
/// encrypts the transport, and the signed handshake inside the session binds it to the channel key
/// (docs/encoding.md). Keep it stable across restarts when dialers are configured with its
/// <see cref="PublicKey"/>. Thread-safe for use; <see cref="Dispose"/> zeroes it.
/// </summary>
public sealed class NoiseStaticKey : IDisposable
{
    private readonly ECPrivKey _key;

    private NoiseStaticKey(ECPrivKey key)
    {
        _key = key;
        PublicKey = NoisePublicKey.From(key.CreatePubKey());
    }

    /// <summary>The public half, which dialers need (<see cref="TcpPeerAddress.NoiseKey"/>).</summary>
    public NoisePublicKey PublicKey { get; }

    internal ECPrivKey Key => _key;

    /// <summary>A new key from the operating system's cryptographic random generator.</summary>
    /// <returns>The key; the caller owns and disposes it.</returns>
    public static NoiseStaticKey Create() => new(NoiseCrypto.GenerateKey());

    /// <summary>A key from its 32-byte secret (e.g. read from the node's key file). The caller should zero its copy.</summary>
    /// <param name="secret">32 big-endian bytes in 1..n-1.</param>
    /// <returns>The key; the caller owns and disposes it.</returns>
    /// <exception cref="ArgumentException">Not a valid secp256k1 secret.</exception>
    public static NoiseStaticKey FromBytes(ReadOnlySpan<byte> secret) =>
        secret.Length == 32 && Context.Instance.TryCreateECPrivKey(secret, out ECPrivKey? key)
            ? new NoiseStaticKey(key)
            : throw new ArgumentException("Not a valid secp256k1 secret (32 bytes in 1..n-1).", nameof(secret));

    /// <summary>Writes the 32-byte secret (to store it; zero the copy afterwards).</summary>
    /// <param name="destination">At least 32 bytes.</param>
    public void WriteSecret(Span<byte> destination) => _key.WriteToSpan(destination);

    /// <summary>Zeroes the key.</summary>
    public void Dispose() => _key.Dispose();
}
