using System.Security.Cryptography;

namespace StateChannels.Net.Noise;

/// <summary>
/// One direction of an established BOLT 8 session: a ChaCha20-Poly1305 key, its nonce, and the
/// chaining key it rotates with. After 1,000 uses (every 500 messages: a length prefix and a body
/// each take one nonce) the key becomes <c>ck', k' = HKDF(ck, k)</c> and the nonce restarts at 0
/// (BOLT 8, "Lightning Message Key Rotation"). Not thread-safe: one sender, or one receiver.
/// </summary>
internal sealed class NoiseCipherState : IDisposable
{
    /// <summary>Uses of one key before it is rotated.</summary>
    public const ulong RotateAfter = 1000;

    private readonly byte[] _ck = new byte[32];
    private readonly byte[] _k = new byte[32];
    private ChaCha20Poly1305 _cipher;
    private ulong _n;

    public NoiseCipherState(ReadOnlySpan<byte> chainingKey, ReadOnlySpan<byte> key)
    {
        chainingKey.CopyTo(_ck);
        key.CopyTo(_k);
        _cipher = new ChaCha20Poly1305(_k);
    }

    /// <summary>Nonce of the next use (tests).</summary>
    internal ulong Nonce => _n;

    /// <summary>Encrypts <paramref name="plaintext"/> into <paramref name="destination"/> (its length plus the tag).</summary>
    public void Encrypt(ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        NoiseCrypto.EncryptWithAd(_cipher, _n, ReadOnlySpan<byte>.Empty, plaintext, destination);
        Advance();
    }

    /// <summary>Decrypts ciphertext-and-tag; <see langword="false"/> (and the state unusable) when the tag fails.</summary>
    public bool TryDecrypt(ReadOnlySpan<byte> sealedText, Span<byte> plaintext)
    {
        if (!NoiseCrypto.TryDecryptWithAd(_cipher, _n, ReadOnlySpan<byte>.Empty, sealedText, plaintext))
        {
            return false;
        }

        Advance();
        return true;
    }

    public void Dispose()
    {
        _cipher.Dispose();
        CryptographicOperations.ZeroMemory(_k);
        CryptographicOperations.ZeroMemory(_ck);
    }

    private void Advance()
    {
        if (++_n < RotateAfter)
        {
            return;
        }

        NoiseCrypto.Hkdf(_ck, _k, _ck, _k);
        _cipher.Dispose();
        _cipher = new ChaCha20Poly1305(_k);
        _n = 0;
    }
}
