using Secp256k1Net;

namespace StateChannels.Crypto.Native;

/// <summary>
/// <see cref="ISecp256k1"/> on native libsecp256k1 (bitcoin-core/secp256k1, shipped inside the
/// Secp256k1.Net package for Windows, Linux and macOS). Produces the same signatures as the managed
/// default — RFC 6979 nonces, low-s — and the same recovered keys. Thread-safe: one read-only
/// libsecp256k1 context shared by all callers, every buffer on the caller's stack.
/// <para>Use it for recovery with <c>new StateChannelClientOptions { Secp256k1 = NativeSecp256k1.Instance }</c>
/// and for signing with <c>new PrivateKeySigner(key, NativeSecp256k1.Instance)</c>.</para>
/// </summary>
public sealed class NativeSecp256k1 : ISecp256k1
{
    private static readonly Lazy<NativeSecp256k1> Shared = new(() => new NativeSecp256k1(), LazyThreadSafetyMode.ExecutionAndPublication);
    private readonly Secp256k1 _context;

    private NativeSecp256k1() => _context = new Secp256k1();

    /// <summary>The process-wide instance (creates the native context on first use).</summary>
    /// <exception cref="DllNotFoundException">The native library is not available for this platform.</exception>
    public static NativeSecp256k1 Instance => Shared.Value;

    /// <summary>Whether the native library loads on this machine; <paramref name="reason"/> says why not.</summary>
    /// <param name="reason">Empty when it loads; otherwise the exception's message.</param>
    /// <returns><see langword="true"/> when <see cref="Instance"/> is usable.</returns>
    public static bool TryLoad(out string reason)
    {
        try
        {
            _ = Instance.Name;
            reason = string.Empty;
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException or EntryPointNotFoundException or TypeInitializationException)
        {
            reason = (e.InnerException ?? e).Message;
            return false;
        }
    }

    /// <inheritdoc />
    public string Name => "native (libsecp256k1 via Secp256k1.Net)";

    /// <inheritdoc />
    public bool TrySignRecoverable(ReadOnlySpan<byte> secretKey, ReadOnlySpan<byte> digest, Span<byte> compact, out int recoveryId)
    {
        recoveryId = -1;
        if (secretKey.Length != 32 || digest.Length != 32 || compact.Length < 64)
        {
            return false;
        }

        Span<byte> recoverable = stackalloc byte[65];
        return _context.EcdsaSignRecoverable(recoverable, digest, secretKey)
            && _context.EcdsaRecoverableSignatureSerializeCompact(compact, out recoveryId, recoverable);
    }

    /// <inheritdoc />
    public bool TryRecover(ReadOnlySpan<byte> digest, ReadOnlySpan<byte> compact, int recoveryId, Span<byte> publicKey)
    {
        if (digest.Length != 32 || compact.Length != 64 || recoveryId is < 0 or > 3 || publicKey.Length < 64)
        {
            return false;
        }

        Span<byte> recoverable = stackalloc byte[65];
        Span<byte> point = stackalloc byte[64];
        Span<byte> serialized = stackalloc byte[65];
        nuint length = 65;
        if (!_context.EcdsaRecoverableSignatureParseCompact(recoverable, compact, recoveryId)
            || !_context.EcdsaRecover(point, recoverable, digest)
            || !_context.EcPubkeySerialize(serialized, ref length, point, Secp256k1EcFlags.Uncompressed)
            || length != 65)
        {
            return false;
        }

        serialized[1..].CopyTo(publicKey);
        return true;
    }
}
