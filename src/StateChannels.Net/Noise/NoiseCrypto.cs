using System.Buffers.Binary;
using System.Security.Cryptography;
using NBitcoin.Secp256k1;
using HMACSHA256 = System.Security.Cryptography.HMACSHA256;
using SHA256 = System.Security.Cryptography.SHA256;

namespace StateChannels.Net.Noise;

/// <summary>
/// The primitives of BOLT 8 ("Noise_XK_secp256k1_ChaChaPoly_SHA256"), each delegated to a maintained
/// implementation: ECDH on NBitcoin.Secp256k1, HKDF-SHA256 (RFC 5869) and ChaCha20-Poly1305 (RFC 7539)
/// from the BCL. Nothing here is a hand-written cipher.
/// </summary>
internal static class NoiseCrypto
{
    /// <summary>Size of a Poly1305 tag.</summary>
    public const int TagSize = 16;

    /// <summary>Size of a compressed secp256k1 public key.</summary>
    public const int PublicKeySize = 33;

    /// <summary>BOLT 8 <c>ECDH(k, rk)</c>: SHA-256 of the compressed point <c>k·rk</c>.</summary>
    public static void Ecdh(ECPrivKey local, ECPubKey remote, Span<byte> destination)
    {
        ECPubKey shared = remote.GetSharedPubkey(local);
        Span<byte> point = stackalloc byte[PublicKeySize];
        shared.WriteToSpan(compressed: true, point, out _);
        SHA256.HashData(point, destination);
        CryptographicOperations.ZeroMemory(point);
    }

    /// <summary>
    /// BOLT 8 <c>HKDF(salt, ikm)</c>: RFC 5869 extract-and-expand with an empty info, 64 bytes,
    /// returned as its two 32-byte halves.
    /// </summary>
    public static void Hkdf(ReadOnlySpan<byte> salt, ReadOnlySpan<byte> ikm, Span<byte> first, Span<byte> second)
    {
        // RFC 5869 extract is PRK = HMAC-SHA256(salt, ikm); done with HMAC because on Linux HKDF.DeriveKey and
        // HKDF.Extract go to OpenSSL's KDF, which refuses the empty ikm of BOLT 8's final split, HKDF(ck, zero).
        Span<byte> prk = stackalloc byte[32];
        Span<byte> output = stackalloc byte[64];
        HMACSHA256.HashData(salt, ikm, prk);
        HKDF.Expand(HashAlgorithmName.SHA256, prk, output, ReadOnlySpan<byte>.Empty);
        CryptographicOperations.ZeroMemory(prk);
        output[..32].CopyTo(first);
        output[32..].CopyTo(second);
        CryptographicOperations.ZeroMemory(output);
    }

    /// <summary>The 96-bit nonce of BOLT 8: 32 zero bits, then <paramref name="n"/> as a 64-bit little-endian integer.</summary>
    public static void Nonce(ulong n, Span<byte> destination)
    {
        destination[..4].Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(destination[4..], n);
    }

    /// <summary><c>encryptWithAD(k, n, ad, plaintext)</c>: writes ciphertext then tag into <paramref name="destination"/>.</summary>
    public static void EncryptWithAd(ChaCha20Poly1305 cipher, ulong n, ReadOnlySpan<byte> ad, ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        Span<byte> nonce = stackalloc byte[12];
        Nonce(n, nonce);
        cipher.Encrypt(nonce, plaintext, destination[..plaintext.Length], destination.Slice(plaintext.Length, TagSize), ad);
    }

    /// <summary><c>decryptWithAD(k, n, ad, ciphertext || tag)</c>; <see langword="false"/> when the tag does not verify.</summary>
    public static bool TryDecryptWithAd(ChaCha20Poly1305 cipher, ulong n, ReadOnlySpan<byte> ad, ReadOnlySpan<byte> sealedText, Span<byte> plaintext)
    {
        if (sealedText.Length < TagSize)
        {
            return false;
        }

        int length = sealedText.Length - TagSize;
        Span<byte> nonce = stackalloc byte[12];
        Nonce(n, nonce);
        try
        {
            cipher.Decrypt(nonce, sealedText[..length], sealedText[length..], plaintext[..length], ad);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }
    }

    /// <summary>Parses a 33-byte compressed public key; <see langword="false"/> for anything else.</summary>
    public static bool TryParsePublicKey(ReadOnlySpan<byte> bytes, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ECPubKey? key)
    {
        key = null;
        return bytes.Length == PublicKeySize && bytes[0] is 0x02 or 0x03 && Context.Instance.TryCreatePubKey(bytes, out key);
    }

    /// <summary>A fresh key from the operating system's cryptographic random generator.</summary>
    public static ECPrivKey GenerateKey()
    {
        Span<byte> bytes = stackalloc byte[32];
        try
        {
            while (true)
            {
                RandomNumberGenerator.Fill(bytes);
                if (Context.Instance.TryCreateECPrivKey(bytes, out ECPrivKey? key))
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

    /// <summary>The compressed encoding of <paramref name="key"/>.</summary>
    public static byte[] Serialize(ECPubKey key) => key.ToBytes(compressed: true);
}
