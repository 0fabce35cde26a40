using Secp256k1Net;

namespace StateChannels.Benchmarks;

/// <summary>
/// Native libsecp256k1 through the Secp256k1.Net package (the .so ships inside it under
/// runtimes/linux-x64/native). Does exactly the work <see cref="PrivateKey.Sign(Hash32)"/> and
/// <see cref="Ecdsa.TryRecover(Hash32, in Signature, out EthAddress)"/> do: a recoverable signature in compact form with v, and
/// recovery up to the Ethereum address (keccak of the uncompressed point). Not thread-safe.
/// </summary>
internal sealed class NativeSecp256k1 : IDisposable
{
    private readonly Secp256k1 _secp;
    private readonly byte[] _recoverable = new byte[65];
    private readonly byte[] _publicKey = new byte[64];
    private readonly byte[] _serialized = new byte[65];

    private NativeSecp256k1(Secp256k1 secp) => _secp = secp;

    /// <summary>Loads the native library and signs once; null and the exact reason if that fails.</summary>
    public static NativeSecp256k1? TryLoad(out string status)
    {
        try
        {
            var native = new NativeSecp256k1(new Secp256k1());
            Span<byte> compact = stackalloc byte[64];
            native.Sign(Fixtures.DigestBytes, Fixtures.AliceSecret, compact, out _);
            status = $"loaded {LoadedLibraryPath() ?? Secp256k1.LibPath ?? "libsecp256k1"}";
            return native;
        }
        catch (Exception ex) when (ex is DllNotFoundException or BadImageFormatException or EntryPointNotFoundException
            or TypeInitializationException or InvalidOperationException or ArgumentException)
        {
            status = $"not loaded: {ex.GetType().Name}: {(ex.InnerException ?? ex).Message}";
            return null;
        }
    }

    /// <summary>The file the process actually mapped (Linux: /proc/self/maps), to show which libsecp256k1 ran.</summary>
    private static string? LoadedLibraryPath()
    {
        try
        {
            return File.Exists("/proc/self/maps")
                ? File.ReadLines("/proc/self/maps").Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1])
                    .FirstOrDefault(p => p.Contains("libsecp256k1", StringComparison.Ordinal))
                : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Signs (RFC 6979, low-s) into 64 bytes r||s and returns v ∈ {27, 28}.</summary>
    public void Sign(ReadOnlySpan<byte> digest, ReadOnlySpan<byte> secret, Span<byte> compact, out byte v)
    {
        if (!_secp.EcdsaSignRecoverable(_recoverable, digest, secret)
            || !_secp.EcdsaRecoverableSignatureSerializeCompact(compact, out int recoveryId, _recoverable))
        {
            throw new InvalidOperationException("native signing failed");
        }

        v = (byte)(27 + recoveryId);
    }

    /// <summary>Recovers the signer's address from r||s and v.</summary>
    public EthAddress Recover(ReadOnlySpan<byte> digest, ReadOnlySpan<byte> compact, byte v)
    {
        nuint length = (nuint)_serialized.Length;
        if (!_secp.EcdsaRecoverableSignatureParseCompact(_recoverable, compact, v - 27)
            || !_secp.EcdsaRecover(_publicKey, _recoverable, digest)
            || !_secp.EcPubkeySerialize(_serialized, ref length, _publicKey, Secp256k1EcFlags.Uncompressed))
        {
            throw new InvalidOperationException("native recovery failed");
        }

        Span<byte> hash = stackalloc byte[Keccak.HashSize];
        Keccak.Hash(_serialized.AsSpan(1, 64), hash);
        return EthAddress.FromBytes(hash[12..]);
    }

    public void Dispose() => _secp.Dispose();
}
