namespace StateChannels;

/// <summary>
/// The secp256k1 arithmetic the SDK needs, behind a port so a faster implementation can be plugged
/// in (StateChannels.Crypto.Native wraps libsecp256k1) while the core depends on none.
/// <see cref="ManagedSecp256k1"/> (NBitcoin.Secp256k1, fully managed) is the default.
/// <para>Contract: every implementation produces byte-identical results — deterministic RFC 6979
/// nonces, s normalized to the lower half, recovery id 0 or 1 — and is thread-safe. The rules on
/// top (v ∈ {27, 28}, never the zero address) are enforced by <see cref="PrivateKey"/> and
/// <see cref="Ecdsa"/>, not here, so a backend cannot weaken them.</para>
/// </summary>
public interface ISecp256k1
{
    /// <summary>A short name for reports, e.g. <c>managed (NBitcoin.Secp256k1)</c>.</summary>
    string Name { get; }

    /// <summary>Signs a 32-byte digest with a 32-byte secret: RFC 6979 nonce, low-s.</summary>
    /// <param name="secretKey">The secret scalar, 32 bytes big-endian (the caller zeroes it).</param>
    /// <param name="digest">The 32-byte digest.</param>
    /// <param name="compact">Receives r ‖ s, 64 bytes.</param>
    /// <param name="recoveryId">The recovery id (0..3).</param>
    /// <returns><see langword="false"/> when the key is invalid or signing fails.</returns>
    bool TrySignRecoverable(ReadOnlySpan<byte> secretKey, ReadOnlySpan<byte> digest, Span<byte> compact, out int recoveryId);

    /// <summary>Recovers the public key from a compact signature and its recovery id.</summary>
    /// <param name="digest">The signed 32-byte digest.</param>
    /// <param name="compact">r ‖ s, 64 bytes (untrusted).</param>
    /// <param name="recoveryId">0 or 1.</param>
    /// <param name="publicKey">Receives the uncompressed point without its 0x04 prefix: x ‖ y, 64 bytes.</param>
    /// <returns><see langword="false"/> when no public key is recoverable (r or s out of range, no point).</returns>
    bool TryRecover(ReadOnlySpan<byte> digest, ReadOnlySpan<byte> compact, int recoveryId, Span<byte> publicKey);
}
