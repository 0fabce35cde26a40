using Nethereum.Signer;

namespace StateChannels.Benchmarks;

/// <summary>
/// Before timing anything: the three secp256k1 paths must do the same work. All sign the fixture
/// digest deterministically (RFC 6979, low-s), so their signatures must be byte-identical, and
/// every recovery must give Alice's address.
/// </summary>
internal static class SelfCheck
{
    public static void Run(NativeSecp256k1? native)
    {
        Signature ours = Fixtures.Alice.Sign(Fixtures.Digest);
        byte[] oursBytes = ours.ToArray();

        EthECDSASignature theirs = new EthECKey(Fixtures.AliceSecret, isPrivate: true).SignAndCalculateV(Fixtures.DigestBytes);
        byte[] theirsBytes = [.. Pad32(theirs.R), .. Pad32(theirs.S), .. theirs.V];
        Require(oursBytes.AsSpan().SequenceEqual(theirsBytes), "Nethereum's signature differs from ours");
        Require(
            EthAddress.FromBytes(EthECKey.RecoverFromSignature(theirs, Fixtures.DigestBytes).GetPublicAddressAsBytes()) == Fixtures.Alice.Address,
            "Nethereum recovers another address");
        Require(Ecdsa.TryRecover(Fixtures.Digest, ours, out EthAddress signer) && signer == Fixtures.Alice.Address, "we recover another address");

        if (native is not null)
        {
            Span<byte> compact = stackalloc byte[64];
            native.Sign(Fixtures.DigestBytes, Fixtures.AliceSecret, compact, out byte v);
            Require(compact.SequenceEqual(oursBytes.AsSpan(0, 64)) && v == oursBytes[64], "native libsecp256k1's signature differs from ours");
            Require(native.Recover(Fixtures.DigestBytes, compact, v) == Fixtures.Alice.Address, "native libsecp256k1 recovers another address");
        }
    }

    private static byte[] Pad32(byte[] value) =>
        value.Length >= 32 ? value[^32..] : [.. new byte[32 - value.Length], .. value];

    private static void Require(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException($"self-check failed: {what}; the benchmarks would compare different work");
        }
    }
}
