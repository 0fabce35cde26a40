using NBitcoin.Secp256k1;

namespace StateChannels;

/// <summary>
/// The default <see cref="ISecp256k1"/>: NBitcoin.Secp256k1, a managed port of libsecp256k1
/// (no native code). Thread-safe; use <see cref="Instance"/>.
/// </summary>
public sealed class ManagedSecp256k1 : ISecp256k1
{
    private ManagedSecp256k1()
    {
    }

    /// <summary>The one instance.</summary>
    public static ManagedSecp256k1 Instance { get; } = new();

    /// <inheritdoc />
    public string Name => "managed (NBitcoin.Secp256k1)";

    /// <inheritdoc />
    public bool TrySignRecoverable(ReadOnlySpan<byte> secretKey, ReadOnlySpan<byte> digest, Span<byte> compact, out int recoveryId)
    {
        recoveryId = -1;
        if (!Context.Instance.TryCreateECPrivKey(secretKey, out ECPrivKey? key))
        {
            return false;
        }

        using (key)
        {
            return TrySign(key, digest, compact, out recoveryId);
        }
    }

    /// <inheritdoc />
    public bool TryRecover(ReadOnlySpan<byte> digest, ReadOnlySpan<byte> compact, int recoveryId, Span<byte> publicKey)
    {
        if (!SecpRecoverableECDSASignature.TryCreateFromCompact(compact, recoveryId, out SecpRecoverableECDSASignature? recoverable)
            || !ECPubKey.TryRecover(Context.Instance, recoverable, digest, out ECPubKey? key))
        {
            return false;
        }

        Span<byte> uncompressed = stackalloc byte[65];
        key.WriteToSpan(compressed: false, uncompressed, out _);
        uncompressed[1..].CopyTo(publicKey);
        return true;
    }

    /// <summary>Signs with an already parsed key (the path <see cref="PrivateKey.Sign(Hash32)"/> takes).</summary>
    internal static bool TrySign(ECPrivKey key, ReadOnlySpan<byte> digest, Span<byte> compact, out int recoveryId)
    {
        recoveryId = -1;
        if (!key.TrySignRecoverable(digest, out SecpRecoverableECDSASignature? signature) || signature is null)
        {
            return false;
        }

        signature.WriteToSpanCompact(compact, out recoveryId);
        return true;
    }
}
