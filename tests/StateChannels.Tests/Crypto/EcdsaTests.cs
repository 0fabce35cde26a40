using System.Numerics;
using StateChannels.Tests.Support;

namespace StateChannels.Tests.Crypto;

public class EcdsaTests
{
    private static readonly BigInteger N = BigInteger.Parse("115792089237316195423570985008687907852837564279074904382605163141518161494337", System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void TryRecover_DefaultSignature_ReturnsFalse()
    {
        Assert.False(Ecdsa.TryRecover(Hash32.Zero, default, out EthAddress signer));
        Assert.True(signer.IsZero);
        Assert.Equal(ErrorCode.InvalidSignature, Assert.Throws<StateChannelException>(() => Ecdsa.Recover(Hash32.Zero, default)).Code);
        Assert.False(Ecdsa.Verify(Hash32.Zero, default, EthAddress.Zero));
    }

    [Fact]
    public void Verify_OtherDigestOrSigner_ReturnsFalse()
    {
        using var alice = PrivateKey.Create();
        using var bob = PrivateKey.Create();
        Hash32 digest = Keccak.Hash("pay bob"u8);
        Signature signature = alice.Sign(digest);
        Assert.True(Ecdsa.Verify(digest, signature, alice.Address));
        Assert.False(Ecdsa.Verify(digest, signature, bob.Address));
        Assert.False(Ecdsa.Verify(Keccak.Hash("pay mallory"u8), signature, alice.Address));
        Assert.False(Ecdsa.Verify(digest, signature, EthAddress.Zero));
    }

    [Fact]
    public void Verify_FlippedV_DoesNotRecoverSigner()
    {
        using var alice = PrivateKey.Create();
        Hash32 digest = Keccak.Hash("x"u8);
        byte[] bytes = alice.Sign(digest).ToArray();
        bytes[64] = bytes[64] == 27 ? (byte)28 : (byte)27;
        Assert.False(Ecdsa.Verify(digest, Signature.FromBytes(bytes), alice.Address));
    }

    [Fact]
    public void HighSTwin_OfValidSignature_RejectedBeforeRecovery()
    {
        // (r, n - s, v ^ 1) is the malleable twin ecrecover would accept; we must not.
        using var alice = PrivateKey.Create();
        byte[] bytes = alice.Sign(Keccak.Hash("x"u8)).ToArray();
        BigInteger s = new(bytes.AsSpan(32, 32), isUnsigned: true, isBigEndian: true);
        byte[] twinS = (N - s).ToByteArray(isUnsigned: true, isBigEndian: true).PadLeft(32);
        twinS.CopyTo(bytes, 32);
        bytes[64] = bytes[64] == 27 ? (byte)28 : (byte)27;
        Assert.False(Signature.TryFromBytes(bytes, out _));
    }

    [Fact]
    public void TryRecover_ArbitraryComponents_NeverThrowsAndSometimesFails()
    {
        // About half of all r values are not the x coordinate of a curve point: recovery must fail cleanly.
        int failures = 0;
        Seeded.Run(64, (random, i) =>
        {
            var bytes = new byte[65];
            bytes[31] = (byte)(i + 1);
            bytes[63] = 1;
            bytes[64] = (byte)(27 + (i & 1));
            Signature signature = Signature.FromBytes(bytes);
            if (!Ecdsa.TryRecover(random.NextHash(), signature, out EthAddress signer))
            {
                failures++;
                Assert.True(signer.IsZero);
            }
            else
            {
                Assert.False(signer.IsZero);
            }
        });
        Assert.InRange(failures, 1, 63);
    }
}
