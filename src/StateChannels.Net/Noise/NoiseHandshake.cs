using System.Security.Cryptography;
using NBitcoin.Secp256k1;
using SHA256 = System.Security.Cryptography.SHA256;

namespace StateChannels.Net.Noise;

/// <summary>
/// The three acts of Noise_XK as BOLT 8 specifies them ("Authenticated Key Exchange Handshake
/// Specification"), as a synchronous state machine over byte arrays: no I/O, so the published test
/// vectors drive it directly. The initiator knows the responder's static key beforehand; the
/// responder learns the initiator's in act three. After <see cref="Split"/> both sides share
/// <see cref="HandshakeHash"/> (<c>h</c>), which the signed handshake inside the session signs over.
/// One instance per connection attempt; not thread-safe.
/// </summary>
internal sealed class NoiseHandshake : IDisposable
{
    public const int ActOneSize = 1 + NoiseCrypto.PublicKeySize + NoiseCrypto.TagSize;
    public const int ActTwoSize = ActOneSize;
    public const int ActThreeSize = 1 + NoiseCrypto.PublicKeySize + NoiseCrypto.TagSize + NoiseCrypto.TagSize;

    private const byte Version = 0;

    private static ReadOnlySpan<byte> ProtocolName => "Noise_XK_secp256k1_ChaChaPoly_SHA256"u8;

    private readonly bool _initiator;
    private readonly ECPrivKey _localStatic;
    private readonly ECPrivKey _ephemeral;
    private readonly byte[] _h = new byte[32];
    private readonly byte[] _ck = new byte[32];
    private readonly byte[] _tempK = new byte[32];
    private ECPubKey? _remoteStatic;
    private ECPubKey? _remoteEphemeral;

    private NoiseHandshake(bool initiator, ECPrivKey localStatic, ECPubKey responderStatic, ECPrivKey ephemeral, ReadOnlySpan<byte> prologue)
    {
        _initiator = initiator;
        _localStatic = localStatic;
        _ephemeral = ephemeral;
        _remoteStatic = initiator ? responderStatic : null;

        // "Handshake State Initialization": h = SHA-256(name); ck = h; h = SHA-256(h || prologue); h = SHA-256(h || responder's static key).
        SHA256.HashData(ProtocolName, _h);
        _h.CopyTo(_ck, 0);
        MixHash(prologue);
        MixHash(NoiseCrypto.Serialize(responderStatic));
    }

    /// <summary>The handshake hash <c>h</c>; final once act three is written or read.</summary>
    public ReadOnlySpan<byte> HandshakeHash => _h;

    /// <summary>The remote static key: given to the initiator, learned by the responder in act three.</summary>
    public ECPubKey? RemoteStatic => _remoteStatic;

    /// <summary>An initiator that knows <paramref name="responderStatic"/>; <paramref name="ephemeral"/> is fresh unless a test vector fixes it.</summary>
    public static NoiseHandshake Initiator(ECPrivKey localStatic, ECPubKey responderStatic, ReadOnlySpan<byte> prologue, ECPrivKey? ephemeral = null) =>
        new(true, localStatic, responderStatic, ephemeral ?? NoiseCrypto.GenerateKey(), prologue);

    /// <summary>A responder with its own static key.</summary>
    public static NoiseHandshake Responder(ECPrivKey localStatic, ReadOnlySpan<byte> prologue, ECPrivKey? ephemeral = null) =>
        new(false, localStatic, localStatic.CreatePubKey(), ephemeral ?? NoiseCrypto.GenerateKey(), prologue);

    /// <summary>Initiator, act one: <c>-&gt; e, es</c>.</summary>
    public byte[] WriteActOne() => WriteEphemeralAct(_remoteStatic!);

    /// <summary>Responder, act one.</summary>
    public NoiseError ReadActOne(ReadOnlySpan<byte> act) => ReadEphemeralAct(act, ActOneSize, _localStatic);

    /// <summary>Responder, act two: <c>&lt;- e, ee</c>.</summary>
    public byte[] WriteActTwo() => WriteEphemeralAct(_remoteEphemeral!);

    /// <summary>Initiator, act two.</summary>
    public NoiseError ReadActTwo(ReadOnlySpan<byte> act) => ReadEphemeralAct(act, ActTwoSize, _ephemeral);

    /// <summary>Initiator, act three: <c>-&gt; s, se</c>.</summary>
    public byte[] WriteActThree()
    {
        var act = new byte[ActThreeSize];
        act[0] = Version;
        using (var temp2 = new ChaCha20Poly1305(_tempK))
        {
            NoiseCrypto.EncryptWithAd(temp2, 1, _h, NoiseCrypto.Serialize(_localStatic.CreatePubKey()), act.AsSpan(1, NoiseCrypto.PublicKeySize + NoiseCrypto.TagSize));
        }

        MixHash(act.AsSpan(1, NoiseCrypto.PublicKeySize + NoiseCrypto.TagSize));
        MixKey(_localStatic, _remoteEphemeral!);
        using var temp3 = new ChaCha20Poly1305(_tempK);
        NoiseCrypto.EncryptWithAd(temp3, 0, _h, ReadOnlySpan<byte>.Empty, act.AsSpan(ActThreeSize - NoiseCrypto.TagSize));
        return act;
    }

    /// <summary>Responder, act three: recovers and checks the initiator's static key.</summary>
    public NoiseError ReadActThree(ReadOnlySpan<byte> act)
    {
        if (act.Length != ActThreeSize)
        {
            return NoiseError.BadLength;
        }

        if (act[0] != Version)
        {
            return NoiseError.BadVersion;
        }

        ReadOnlySpan<byte> c = act.Slice(1, NoiseCrypto.PublicKeySize + NoiseCrypto.TagSize);
        Span<byte> rs = stackalloc byte[NoiseCrypto.PublicKeySize];
        using (var temp2 = new ChaCha20Poly1305(_tempK))
        {
            if (!NoiseCrypto.TryDecryptWithAd(temp2, 1, _h, c, rs))
            {
                return NoiseError.BadTag;
            }
        }

        if (!NoiseCrypto.TryParsePublicKey(rs, out ECPubKey? remoteStatic))
        {
            return NoiseError.BadPublicKey;
        }

        MixHash(c);
        MixKey(_ephemeral, remoteStatic);
        using var temp3 = new ChaCha20Poly1305(_tempK);
        if (!NoiseCrypto.TryDecryptWithAd(temp3, 0, _h, act[^NoiseCrypto.TagSize..], Span<byte>.Empty))
        {
            return NoiseError.BadTag;
        }

        _remoteStatic = remoteStatic;
        return NoiseError.None;
    }

    /// <summary>The transport keys after act three: <c>sk, rk = HKDF(ck, zero)</c> for the initiator, swapped for the responder.</summary>
    public (NoiseCipherState Send, NoiseCipherState Receive) Split()
    {
        Span<byte> first = stackalloc byte[32];
        Span<byte> second = stackalloc byte[32];
        NoiseCrypto.Hkdf(_ck, ReadOnlySpan<byte>.Empty, first, second);
        var a = new NoiseCipherState(_ck, first);
        var b = new NoiseCipherState(_ck, second);
        CryptographicOperations.ZeroMemory(first);
        CryptographicOperations.ZeroMemory(second);
        return _initiator ? (a, b) : (b, a);
    }

    public void Dispose()
    {
        _ephemeral.Dispose();
        CryptographicOperations.ZeroMemory(_ck);
        CryptographicOperations.ZeroMemory(_tempK);
    }

    private byte[] WriteEphemeralAct(ECPubKey remote)
    {
        var act = new byte[ActOneSize];
        act[0] = Version;
        byte[] e = NoiseCrypto.Serialize(_ephemeral.CreatePubKey());
        e.CopyTo(act, 1);
        MixHash(e);
        MixKey(_ephemeral, remote);
        using var temp = new ChaCha20Poly1305(_tempK);
        NoiseCrypto.EncryptWithAd(temp, 0, _h, ReadOnlySpan<byte>.Empty, act.AsSpan(1 + NoiseCrypto.PublicKeySize));
        MixHash(act.AsSpan(1 + NoiseCrypto.PublicKeySize));
        return act;
    }

    private NoiseError ReadEphemeralAct(ReadOnlySpan<byte> act, int size, ECPrivKey local)
    {
        if (act.Length != size)
        {
            return NoiseError.BadLength;
        }

        if (act[0] != Version)
        {
            return NoiseError.BadVersion;
        }

        if (!NoiseCrypto.TryParsePublicKey(act.Slice(1, NoiseCrypto.PublicKeySize), out ECPubKey? re))
        {
            return NoiseError.BadPublicKey;
        }

        MixHash(act.Slice(1, NoiseCrypto.PublicKeySize));
        MixKey(local, re);
        using var temp = new ChaCha20Poly1305(_tempK);
        if (!NoiseCrypto.TryDecryptWithAd(temp, 0, _h, act[(1 + NoiseCrypto.PublicKeySize)..], Span<byte>.Empty))
        {
            return NoiseError.BadTag;
        }

        MixHash(act[(1 + NoiseCrypto.PublicKeySize)..]);
        _remoteEphemeral = re;
        return NoiseError.None;
    }

    /// <summary><c>h = SHA-256(h || data)</c>.</summary>
    private void MixHash(ReadOnlySpan<byte> data)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(_h);
        sha.AppendData(data);
        sha.GetHashAndReset(_h);
    }

    /// <summary><c>ck, temp_k = HKDF(ck, ECDH(local, remote))</c>.</summary>
    private void MixKey(ECPrivKey local, ECPubKey remote)
    {
        Span<byte> ss = stackalloc byte[32];
        NoiseCrypto.Ecdh(local, remote, ss);
        NoiseCrypto.Hkdf(_ck, ss, _ck, _tempK);
        CryptographicOperations.ZeroMemory(ss);
    }
}
