using System.Diagnostics.CodeAnalysis;
using NBitcoin.Secp256k1;

namespace StateChannels.Net.Noise;

/// <summary>
/// A node's Noise static public key: a compressed secp256k1 point (33 bytes), written as 66 hex digits
/// (like a Lightning node id). A dialer must know the listener's key before it connects (Noise_XK):
/// see <see cref="TcpPeerAddress"/>. It is not the channel key: a peer is still known by its
/// <see cref="EthAddress"/>, proven inside the encrypted session.
/// </summary>
public readonly struct NoisePublicKey : IEquatable<NoisePublicKey>
{
    /// <summary>Size of the compressed encoding in bytes.</summary>
    public const int Length = NoiseCrypto.PublicKeySize;

    private readonly byte[]? _bytes;

    private NoisePublicKey(byte[] bytes) => _bytes = bytes;

    /// <summary>The parsed point (never null for a key made by this type's factories).</summary>
    internal ECPubKey Point => NoiseCrypto.TryParsePublicKey(Bytes, out ECPubKey? key) ? key : throw new InvalidOperationException("Default NoisePublicKey.");

    private ReadOnlySpan<byte> Bytes => _bytes ?? throw new InvalidOperationException("Default NoisePublicKey.");

    /// <summary>Decodes 33 compressed bytes; <see langword="false"/> when they are not a point on the curve.</summary>
    /// <param name="bytes">The compressed key.</param>
    /// <param name="key">The key when valid.</param>
    /// <returns>Whether <paramref name="bytes"/> is a valid compressed key.</returns>
    public static bool TryFromBytes(ReadOnlySpan<byte> bytes, out NoisePublicKey key)
    {
        key = NoiseCrypto.TryParsePublicKey(bytes, out _) ? new NoisePublicKey(bytes.ToArray()) : default;
        return key._bytes is not null;
    }

    /// <summary>Parses 66 hex digits (an optional <c>0x</c> prefix is allowed).</summary>
    /// <param name="text">The text.</param>
    /// <param name="key">The key when valid.</param>
    /// <returns>Whether <paramref name="text"/> is a valid key.</returns>
    public static bool TryParse([NotNullWhen(true)] string? text, out NoisePublicKey key)
    {
        key = default;
        if (text is null)
        {
            return false;
        }

        ReadOnlySpan<char> digits = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? text.AsSpan(2) : text;
        if (digits.Length != Length * 2)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[Length];
        return Convert.FromHexString(digits, bytes, out _, out int written) == System.Buffers.OperationStatus.Done
            && written == Length
            && TryFromBytes(bytes, out key);
    }

    /// <summary>Parses 66 hex digits (an optional <c>0x</c> prefix is allowed).</summary>
    /// <param name="text">The text.</param>
    /// <returns>The key.</returns>
    /// <exception cref="FormatException">Not a valid compressed secp256k1 key.</exception>
    public static NoisePublicKey Parse(string text) =>
        TryParse(text, out NoisePublicKey key) ? key : throw new FormatException("Not a Noise public key (66 hex digits of a compressed secp256k1 point).");

    internal static NoisePublicKey From(ECPubKey point) => new(NoiseCrypto.Serialize(point));

    /// <summary>The 33 compressed bytes.</summary>
    /// <returns>A new array.</returns>
    public byte[] ToArray() => Bytes.ToArray();

    /// <inheritdoc/>
    public bool Equals(NoisePublicKey other) => (_bytes ?? []).AsSpan().SequenceEqual(other._bytes ?? []);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is NoisePublicKey other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(_bytes ?? []);
        return hash.ToHashCode();
    }

    /// <summary>66 lowercase hex digits, without prefix.</summary>
    /// <returns>The key as text.</returns>
    public override string ToString() => _bytes is null ? string.Empty : Convert.ToHexStringLower(_bytes);

    /// <summary>Equality.</summary>
    /// <param name="left">A key.</param>
    /// <param name="right">Another key.</param>
    /// <returns>Whether they are equal.</returns>
    public static bool operator ==(NoisePublicKey left, NoisePublicKey right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    /// <param name="left">A key.</param>
    /// <param name="right">Another key.</param>
    /// <returns>Whether they differ.</returns>
    public static bool operator !=(NoisePublicKey left, NoisePublicKey right) => !left.Equals(right);
}
