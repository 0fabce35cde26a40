using System.Security.Cryptography;

namespace StateChannels.Tests.Crypto;

/// <summary>The secp256k1 port: the managed default through the interface, and the checks a backend cannot bypass.</summary>
public sealed class Secp256k1BackendTests
{
    private static readonly Hash32 Digest = Hash32.Parse("0x" + new string('a', 64));

    [Fact]
    public void ManagedSecp256k1_ThroughThePort_SameSignatureAndSignerAsDefaultPath()
    {
        using var key = PrivateKey.Create();
        var viaPort = key.Sign(Digest, new Forwarding(ManagedSecp256k1.Instance));
        Assert.Equal(key.Sign(Digest), viaPort);
        Assert.True(Ecdsa.TryRecover(new Forwarding(ManagedSecp256k1.Instance), Digest, viaPort, out var signer));
        Assert.Equal(key.Address, signer);
        Assert.True(Ecdsa.Verify(ManagedSecp256k1.Instance, Digest, viaPort, key.Address));
    }

    [Fact]
    public void Sign_BackendReturnsHighS_Throws()
    {
        using var key = PrivateKey.Create();
        var good = key.Sign(Digest);
        Assert.ThrowsAny<Exception>(() => key.Sign(Digest, new HighS(good)));
    }

    [Fact]
    public void Sign_BackendReturnsRecoveryIdTwo_Throws()
    {
        using var key = PrivateKey.Create();
        Assert.Throws<CryptographicException>(() => key.Sign(Digest, new Fixed(new byte[64], 2, ok: true)));
    }

    [Fact]
    public void Sign_BackendFails_Throws()
    {
        using var key = PrivateKey.Create();
        Assert.Throws<CryptographicException>(() => key.Sign(Digest, new Fixed(new byte[64], 0, ok: false)));
    }

    [Fact]
    public void TryRecover_BackendYieldsZeroAddressKey_False()
    {
        using var key = PrivateKey.Create();
        var signature = key.Sign(Digest);

        // A public key whose keccak ends in 20 zero bytes cannot be produced; a backend that fails recovery must give false.
        Assert.False(Ecdsa.TryRecover(new Fixed(new byte[64], 0, ok: false), Digest, signature, out var signer));
        Assert.True(signer.IsZero);
    }

    [Fact]
    public async Task CreateAsync_Secp256k1Null_Throws()
    {
        var options = new StateChannelClientOptions { Secp256k1 = null! };
        using var key = PrivateKey.Create();
        var chain = new StateChannels.Testing.SimulatedChain(new Eip712Domain(1, EthAddress.Parse("0x5FbDB2315678afecb367f032d93F642f64180aa3")));
        await Assert.ThrowsAsync<ArgumentNullException>(() => StateChannelClient.CreateAsync(
            options, new PrivateKeySigner(key), new StateChannels.Testing.InMemoryChannelStore(), chain.For(key.Address)));
    }

    private sealed class Forwarding(ISecp256k1 inner) : ISecp256k1
    {
        public string Name => "forwarding";

        public bool TrySignRecoverable(ReadOnlySpan<byte> secretKey, ReadOnlySpan<byte> digest, Span<byte> compact, out int recoveryId) =>
            inner.TrySignRecoverable(secretKey, digest, compact, out recoveryId);

        public bool TryRecover(ReadOnlySpan<byte> digest, ReadOnlySpan<byte> compact, int recoveryId, Span<byte> publicKey) =>
            inner.TryRecover(digest, compact, recoveryId, publicKey);
    }

    /// <summary>Returns a valid signature with s replaced by n - s (the high-s twin).</summary>
    private sealed class HighS(Signature good) : ISecp256k1
    {
        public string Name => "high-s";

        public bool TrySignRecoverable(ReadOnlySpan<byte> secretKey, ReadOnlySpan<byte> digest, Span<byte> compact, out int recoveryId)
        {
            var n = System.Numerics.BigInteger.Parse("0FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141", System.Globalization.NumberStyles.HexNumber);
            good.R.WriteTo(compact);
            var s = new System.Numerics.BigInteger(good.S.ToArray(), isUnsigned: true, isBigEndian: true);
            (n - s).ToByteArray(isUnsigned: true, isBigEndian: true).CopyTo(compact[32..]);
            recoveryId = 1 - (good.V - 27);
            return true;
        }

        public bool TryRecover(ReadOnlySpan<byte> digest, ReadOnlySpan<byte> compact, int recoveryId, Span<byte> publicKey) => false;
    }

    private sealed class Fixed(byte[] compact, int recoveryId, bool ok) : ISecp256k1
    {
        public string Name => "fixed";

        public bool TrySignRecoverable(ReadOnlySpan<byte> secretKey, ReadOnlySpan<byte> digest, Span<byte> output, out int id)
        {
            compact.CopyTo(output);
            id = recoveryId;
            return ok;
        }

        public bool TryRecover(ReadOnlySpan<byte> digest, ReadOnlySpan<byte> c, int id, Span<byte> publicKey) => ok;
    }
}
