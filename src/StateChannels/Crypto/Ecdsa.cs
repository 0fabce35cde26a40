using NBitcoin.Secp256k1;

namespace StateChannels;

/// <summary>
/// Recovers and verifies Ethereum ECDSA signatures (<c>ecrecover</c> with the rules of
/// docs/encoding.md: low-s, v ∈ {27, 28}, never the zero address). Thread-safe.
/// </summary>
public static class Ecdsa
{
    /// <summary>Recovers the address that signed <paramref name="digest"/>.</summary>
    /// <param name="digest">The signed digest.</param>
    /// <param name="signature">The signature (untrusted).</param>
    /// <param name="signer">The signer, or <see cref="EthAddress.Zero"/> when recovery fails.</param>
    /// <returns>
    /// <see langword="true"/> when the signature is valid under the rules and recovers to a
    /// non-zero address; <see langword="false"/> for <c>default(Signature)</c> and for signatures
    /// with no valid public key.
    /// </returns>
    public static bool TryRecover(Hash32 digest, in Signature signature, out EthAddress signer)
    {
        signer = default;
        if (!signature.IsValid)
        {
            return false;
        }

        Span<byte> compact = stackalloc byte[64];
        signature.R.WriteTo(compact);
        signature.S.WriteTo(compact[32..]);
        if (!SecpRecoverableECDSASignature.TryCreateFromCompact(compact, signature.RecoveryId, out SecpRecoverableECDSASignature? recoverable))
        {
            return false;
        }

        Span<byte> message = stackalloc byte[Hash32.Length];
        digest.WriteTo(message);
        if (!ECPubKey.TryRecover(Context.Instance, recoverable, message, out ECPubKey? publicKey))
        {
            return false;
        }

        EthAddress address = ToAddress(publicKey);
        if (address.IsZero)
        {
            return false;
        }

        signer = address;
        return true;
    }

    /// <summary>
    /// Recovers the address that signed <paramref name="digest"/> with another secp256k1
    /// implementation: the same rules and result as <see cref="TryRecover(Hash32, in Signature, out EthAddress)"/>.
    /// </summary>
    /// <param name="secp256k1">The implementation; <see cref="ManagedSecp256k1.Instance"/> takes the default path.</param>
    /// <param name="digest">The signed digest.</param>
    /// <param name="signature">The signature (untrusted).</param>
    /// <param name="signer">The signer, or <see cref="EthAddress.Zero"/> when recovery fails.</param>
    /// <returns><see langword="true"/> when the signature is valid under the rules and recovers to a non-zero address.</returns>
    public static bool TryRecover(ISecp256k1 secp256k1, Hash32 digest, in Signature signature, out EthAddress signer)
    {
        ArgumentNullException.ThrowIfNull(secp256k1);
        if (secp256k1 is ManagedSecp256k1)
        {
            return TryRecover(digest, signature, out signer);
        }

        signer = default;
        if (!signature.IsValid)
        {
            return false;
        }

        Span<byte> compact = stackalloc byte[64];
        signature.R.WriteTo(compact);
        signature.S.WriteTo(compact[32..]);
        Span<byte> message = stackalloc byte[Hash32.Length];
        digest.WriteTo(message);
        Span<byte> publicKey = stackalloc byte[64];
        if (!secp256k1.TryRecover(message, compact, signature.RecoveryId, publicKey))
        {
            return false;
        }

        Span<byte> hash = stackalloc byte[Keccak.HashSize];
        Keccak.Hash(publicKey, hash);
        EthAddress address = EthAddress.FromBytes(hash[12..]);
        if (address.IsZero)
        {
            return false;
        }

        signer = address;
        return true;
    }

    /// <summary>Whether <paramref name="signature"/> over <paramref name="digest"/> was made by <paramref name="expectedSigner"/>, recovered with <paramref name="secp256k1"/>.</summary>
    /// <param name="secp256k1">The implementation.</param>
    /// <param name="digest">The signed digest.</param>
    /// <param name="signature">The signature (untrusted).</param>
    /// <param name="expectedSigner">The address that must have signed; the zero address never verifies.</param>
    /// <returns><see langword="true"/> when the signature is valid and recovers to <paramref name="expectedSigner"/>.</returns>
    public static bool Verify(ISecp256k1 secp256k1, Hash32 digest, in Signature signature, EthAddress expectedSigner) =>
        TryRecover(secp256k1, digest, signature, out EthAddress signer) && signer == expectedSigner;

    /// <summary>Recovers the address that signed <paramref name="digest"/>.</summary>
    /// <param name="digest">The signed digest.</param>
    /// <param name="signature">The signature (untrusted).</param>
    /// <returns>The non-zero signer address.</returns>
    /// <exception cref="StateChannelException">Recovery fails (<see cref="ErrorCode.InvalidSignature"/>).</exception>
    public static EthAddress Recover(Hash32 digest, in Signature signature) =>
        TryRecover(digest, signature, out EthAddress signer)
            ? signer
            : throw new StateChannelException(ErrorCode.InvalidSignature, "The signature does not recover to a valid address.");

    /// <summary>Whether <paramref name="signature"/> over <paramref name="digest"/> was made by <paramref name="expectedSigner"/>.</summary>
    /// <param name="digest">The signed digest.</param>
    /// <param name="signature">The signature (untrusted).</param>
    /// <param name="expectedSigner">The address that must have signed; the zero address never verifies.</param>
    /// <returns><see langword="true"/> when the signature is valid and recovers to <paramref name="expectedSigner"/>.</returns>
    public static bool Verify(Hash32 digest, in Signature signature, EthAddress expectedSigner) =>
        TryRecover(digest, signature, out EthAddress signer) && signer == expectedSigner;

    /// <summary>The address of a public key: the last 20 bytes of keccak256 of the 64-byte uncompressed point.</summary>
    internal static EthAddress ToAddress(ECPubKey publicKey)
    {
        Span<byte> uncompressed = stackalloc byte[65];
        publicKey.WriteToSpan(compressed: false, uncompressed, out _);
        Span<byte> hash = stackalloc byte[Keccak.HashSize];
        Keccak.Hash(uncompressed[1..], hash);
        return EthAddress.FromBytes(hash[12..]);
    }
}
