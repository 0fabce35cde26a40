using System.Numerics;
using StateChannels.Tests.Support;

namespace StateChannels.Tests.Crypto;

public class PrivateKeyTests
{
    [Theory]
    [InlineData("0x0000000000000000000000000000000000000000000000000000000000000001", "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf")]
    [InlineData("0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318", "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23")]
    [InlineData("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80", "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266")] // anvil account 0
    public void Address_KnownKeys_KnownAddresses(string key, string address)
    {
        using var k = PrivateKey.Parse(key);
        Assert.Equal(address, k.Address.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("0x")]
    [InlineData("0x0000000000000000000000000000000000000000000000000000000000000000")] // zero
    [InlineData("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")] // n
    [InlineData("0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff")]
    [InlineData("0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f3623")] // 31 bytes
    [InlineData("0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f36231800")] // 33 bytes
    [InlineData("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")] // no prefix
    [InlineData("0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f36231g")] // non-hex
    public void TryParse_InvalidKey_ReturnsFalseAndExceptionHidesInput(string text)
    {
        Assert.False(PrivateKey.TryParse(text, out PrivateKey? key));
        Assert.Null(key);
        var ex = Assert.Throws<StateChannelException>(() => PrivateKey.Parse(text));
        Assert.Equal(ErrorCode.InvalidFormat, ex.Code);
        if (text.Length > 4)
        {
            Assert.DoesNotContain(text[4..], ex.Message, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void ToString_NeverContainsKey()
    {
        const string hex = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
        using var key = PrivateKey.Parse("0x" + hex);
        string text = key.ToString();
        Assert.DoesNotContain(hex, text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(hex[..16], text, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(key.Address.ToString(), text, StringComparison.Ordinal);
    }

    [Fact]
    public void Sign_AfterDispose_ThrowsObjectDisposed()
    {
        var key = PrivateKey.Create();
        EthAddress address = key.Address;
        key.Dispose();
        key.Dispose(); // idempotent
        Assert.Throws<ObjectDisposedException>(() => key.Sign(Hash32.Zero));
        Assert.Equal(address, key.Address);
    }

    [Fact]
    public void Create_TwoKeys_Differ()
    {
        using var a = PrivateKey.Create();
        using var b = PrivateKey.Create();
        Assert.NotEqual(a.Address, b.Address);
        Assert.False(a.Address.IsZero);
    }

    [Fact]
    public void FromBytes_WrongLength_ThrowsInvalidFormat()
    {
        Assert.Equal(ErrorCode.InvalidFormat, Assert.Throws<StateChannelException>(() => PrivateKey.FromBytes(new byte[31])).Code);
        Assert.False(PrivateKey.TryFromBytes(new byte[33], out _));
    }

    [Fact]
    public void Sign_SameDigest_Deterministic()
    {
        using var key = PrivateKey.Parse("0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318");
        Hash32 digest = Keccak.Hash("hello"u8);
        Assert.Equal(key.Sign(digest), key.Sign(digest));
        Assert.NotEqual(key.Sign(digest), key.Sign(Keccak.Hash("hello!"u8)));
    }

    [Fact]
    public void Sign_RandomKeysAndDigests_LowSAndRecoversSigner()
    {
        BigInteger halfN = BigInteger.Parse("57896044618658097711785492504343953926418782139537452191302581570759080747168", System.Globalization.CultureInfo.InvariantCulture);
        Seeded.Run(200, (random, _) =>
        {
            using var key = PrivateKey.FromBytes(random.Bytes(32)); // < n with overwhelming probability
            Hash32 digest = random.NextHash();
            Signature signature = key.Sign(digest);
            Assert.True(new BigInteger(signature.S.ToArray(), isUnsigned: true, isBigEndian: true) <= halfN);
            Assert.True(signature.V is 27 or 28);
            Assert.Equal(key.Address, Ecdsa.Recover(digest, signature));
            Assert.True(Ecdsa.Verify(digest, signature, key.Address));
            Assert.Equal(signature, Signature.FromBytes(signature.ToArray()));
        });
    }

    [Fact]
    public void Sign_ConcurrentCallers_SameResultsAsSerial()
    {
        using var key = PrivateKey.Create();
        Hash32[] digests = Enumerable.Range(0, 64).Select(i => Keccak.Hash(BitConverter.GetBytes(i))).ToArray();
        Signature[] serial = digests.Select(key.Sign).ToArray();
        var parallel = new Signature[digests.Length];
        Parallel.For(0, digests.Length, i => parallel[i] = key.Sign(digests[i]));
        Assert.Equal(serial, parallel);
    }

    [Fact]
    public void Sign_RandomDigests_MatchesNethereumRfc6979Bytes()
    {
        // Nethereum's EthECKey (BouncyCastle, RFC 6979, canonical low-s) is an independent signer.
        Seeded.Run(50, (random, _) =>
        {
            byte[] secret = random.Bytes(32);
            using var key = PrivateKey.FromBytes(secret);
            var ethKey = new Nethereum.Signer.EthECKey(secret, true);
            Hash32 digest = random.NextHash();
            var theirs = ethKey.SignAndCalculateV(digest.ToArray());
            byte[] expected = [.. theirs.R.PadLeft(32), .. theirs.S.PadLeft(32), .. theirs.V];
            Assert.Equal(Hex.Encode(expected), key.Sign(digest).ToString());
        });
    }
}

internal static class PadExtensions
{
    public static byte[] PadLeft(this byte[] bytes, int length) =>
        bytes.Length >= length ? bytes[^length..] : [.. new byte[length - bytes.Length], .. bytes];
}
