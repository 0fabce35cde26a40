using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using NBitcoin.Secp256k1;

namespace StateChannels;

/// <summary>
/// A secp256k1 signing key. Signs 32-byte digests with deterministic RFC 6979 nonces, always
/// low-s with v ∈ {27, 28}, so its signatures equal those of ethers' <c>Wallet</c>.
/// The key never appears in <see cref="ToString"/> or in exception messages; <see cref="Dispose"/>
/// zeroes it. <see cref="Sign(Hash32)"/> and <see cref="Address"/> are thread-safe; do not dispose while
/// another thread signs.
/// </summary>
public sealed class PrivateKey : IDisposable
{
    /// <summary>Size of a private key in bytes.</summary>
    public const int Length = 32;

    private readonly ECPrivKey _key;
    private volatile bool _disposed;

    private PrivateKey(ECPrivKey key)
    {
        _key = key;
        Address = Ecdsa.ToAddress(key.CreatePubKey());
    }

    /// <summary>The Ethereum address of this key (computed once).</summary>
    public EthAddress Address { get; }

    /// <summary>Creates a new key from the operating system's cryptographic random generator.</summary>
    /// <returns>The new key; the caller owns and disposes it.</returns>
    public static PrivateKey Create()
    {
        Span<byte> bytes = stackalloc byte[Length];
        try
        {
            while (true)
            {
                RandomNumberGenerator.Fill(bytes);
                if (TryFromBytes(bytes, out PrivateKey? key))
                {
                    return key;
                }
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    /// <summary>Creates a key from 32 big-endian bytes in 1..n-1. The caller should zero its copy.</summary>
    /// <param name="bytes">The secret scalar.</param>
    /// <param name="key">The key, or <see langword="null"/> when the bytes are not a valid key.</param>
    /// <returns><see langword="true"/> when the bytes are 32 long and in 1..n-1.</returns>
    public static bool TryFromBytes(ReadOnlySpan<byte> bytes, [NotNullWhen(true)] out PrivateKey? key)
    {
        if (bytes.Length == Length && Context.Instance.TryCreateECPrivKey(bytes, out ECPrivKey? ecKey))
        {
            key = new PrivateKey(ecKey);
            return true;
        }

        key = null;
        return false;
    }

    /// <summary>Creates a key from 32 big-endian bytes in 1..n-1. The caller should zero its copy.</summary>
    /// <param name="bytes">The secret scalar.</param>
    /// <returns>The key; the caller owns and disposes it.</returns>
    /// <exception cref="StateChannelException">Not 32 bytes or not in 1..n-1 (<see cref="ErrorCode.InvalidFormat"/>).</exception>
    public static PrivateKey FromBytes(ReadOnlySpan<byte> bytes) =>
        TryFromBytes(bytes, out PrivateKey? key) ? key : throw InvalidKey();

    /// <summary>Parses <c>0x</c> and 64 hex digits. Strings cannot be zeroed: prefer <see cref="FromBytes"/> for long-lived secrets.</summary>
    /// <param name="text">The text to parse.</param>
    /// <param name="key">The key, or <see langword="null"/> when the text is not a valid key.</param>
    /// <returns><see langword="true"/> when the text is a valid key.</returns>
    public static bool TryParse(ReadOnlySpan<char> text, [NotNullWhen(true)] out PrivateKey? key)
    {
        Span<byte> bytes = stackalloc byte[Length];
        try
        {
            key = null;
            return Hex.TryDecode(text, bytes) && TryFromBytes(bytes, out key);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    /// <summary>Parses <c>0x</c> and 64 hex digits. Strings cannot be zeroed: prefer <see cref="FromBytes"/> for long-lived secrets.</summary>
    /// <param name="text">The text to parse.</param>
    /// <returns>The key; the caller owns and disposes it.</returns>
    /// <exception cref="StateChannelException">The text is not a valid key (<see cref="ErrorCode.InvalidFormat"/>).</exception>
    public static PrivateKey Parse(ReadOnlySpan<char> text) =>
        TryParse(text, out PrivateKey? key) ? key : throw InvalidKey();

    /// <summary>
    /// Signs a 32-byte digest (e.g. from <see cref="Eip712.HashState"/>): deterministic (RFC 6979),
    /// low-s, v ∈ {27, 28}. Signs whatever it is given: sign-once checks belong to the caller.
    /// </summary>
    /// <param name="digest">The digest to sign.</param>
    /// <returns>The signature.</returns>
    /// <exception cref="ObjectDisposedException">The key was disposed.</exception>
    public Signature Sign(Hash32 digest)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Span<byte> message = stackalloc byte[Hash32.Length];
        digest.WriteTo(message);
        Span<byte> compact = stackalloc byte[64];
        if (!ManagedSecp256k1.TrySign(_key, message, compact, out int recoveryId))
        {
            throw new CryptographicException("Signing failed.");
        }

        return ToSignature(compact, recoveryId);
    }

    /// <summary>
    /// Signs a 32-byte digest with another secp256k1 implementation (e.g. native libsecp256k1):
    /// the same signature as <see cref="Sign(Hash32)"/>, byte for byte. The secret is copied to the
    /// stack for the call and zeroed after it.
    /// </summary>
    /// <param name="digest">The digest to sign.</param>
    /// <param name="secp256k1">The implementation; <see cref="ManagedSecp256k1.Instance"/> takes the path of <see cref="Sign(Hash32)"/>.</param>
    /// <returns>The signature.</returns>
    /// <exception cref="ObjectDisposedException">The key was disposed.</exception>
    public Signature Sign(Hash32 digest, ISecp256k1 secp256k1)
    {
        ArgumentNullException.ThrowIfNull(secp256k1);
        if (secp256k1 is ManagedSecp256k1)
        {
            return Sign(digest);
        }

        ObjectDisposedException.ThrowIf(_disposed, this);
        Span<byte> message = stackalloc byte[Hash32.Length];
        digest.WriteTo(message);
        Span<byte> compact = stackalloc byte[64];
        Span<byte> secret = stackalloc byte[Length];
        int recoveryId;
        try
        {
            _key.WriteToSpan(secret);
            if (!secp256k1.TrySignRecoverable(secret, message, compact, out recoveryId))
            {
                throw new CryptographicException("Signing failed.");
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }

        return ToSignature(compact, recoveryId);
    }

    private static Signature ToSignature(ReadOnlySpan<byte> compact, int recoveryId)
    {
        if (recoveryId is not (0 or 1))
        {
            // r >= n would need recovery ids 2/3; probability ~2^-127, and Ethereum cannot express it.
            throw new CryptographicException("Signing produced an unsupported recovery id.");
        }

        // libsecp256k1 normalizes s to the lower half and adjusts the recovery id accordingly;
        // FromComponents re-checks low-s so a regression there can never leak a high-s signature.
        return Signature.FromComponents(Bytes32.Read(compact[..32]), Bytes32.Read(compact[32..]), (byte)(27 + recoveryId));
    }

    /// <summary>Zeroes the key. Idempotent.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _key.Dispose();
        }
    }

    /// <summary>Names the key by its address only, e.g. <c>PrivateKey(0xAbC…)</c>; never the secret.</summary>
    /// <returns>The description.</returns>
    public override string ToString() => $"PrivateKey({Address})";

    private static StateChannelException InvalidKey() =>
        new(ErrorCode.InvalidFormat, "Invalid private key: expected 32 bytes (0x and 64 hex digits) in 1..n-1.");
}
