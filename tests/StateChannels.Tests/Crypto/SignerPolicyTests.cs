using System.Reflection;
using StateChannels.Tests.Support;

namespace StateChannels.Tests.Crypto;

/// <summary>
/// THREATS F1: the channel signer signs channel states and transport handshakes, each in its own
/// EIP-712 type, and nothing else: no caller can make it sign a digest of its choosing.
/// </summary>
public sealed class SignerPolicyTests
{
    private static readonly Eip712Domain Domain = new(31337, EthAddress.Parse("0x5FbDB2315678afecb367f032d93F642f64180aa3"));

    [Fact]
    public void Signer_Interface_ExposesNoArbitraryDigestSigning()
    {
        // The whole surface of the port, exactly: adding e.g. Sign(Hash32) must be a deliberate change here.
        var members = typeof(IChannelSigner).GetMembers(BindingFlags.Public | BindingFlags.Instance)
            .OfType<MethodInfo>()
            .Select(m => $"{m.ReturnType.Name} {m.Name}({string.Join(", ", m.GetParameters().Select(p => p.ParameterType.Name))})")
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.Equal(
            [
                "EthAddress get_Address()",
                "Signature SignHandshake(Eip712Domain, Hash32, EthAddress)",
                "Signature SignState(Eip712Domain, ChannelState)",
            ],
            members);

        // The shipped signer adds nothing public that signs (Dispose only).
        var extra = typeof(PrivateKeySigner).GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Select(m => m.Name)
            .Where(n => n is not ("get_Address" or "SignState" or "SignHandshake" or "Dispose"))
            .ToList();
        Assert.Empty(extra);
    }

    [Fact]
    public void StateAndHandshakeSignatures_NeverValidForEachOther()
    {
        Seeded.Run(50, (r, _) =>
        {
            using var key = PrivateKey.FromBytes(ValidKeyBytes(r));
            var signer = new PrivateKeySigner(key);
            var state = new ChannelState(ChannelId.FromHash32(r.NextHash()), r.NextVersion(), r.NextAmount(100), r.NextAmount(100), r.Next(2) == 1);
            var stateDigest = Eip712.HashState(Domain, state);

            // A peer that picks its handshake challenge to be a state digest gets no state signature.
            var answer = signer.SignHandshake(Domain, stateDigest, r.NextAddress());
            Assert.False(Ecdsa.Verify(stateDigest, answer, signer.Address));

            // And a state signature never answers a handshake over the same bytes.
            var signed = signer.SignState(Domain, state);
            Assert.True(Ecdsa.Verify(stateDigest, signed, signer.Address));
            Assert.False(Ecdsa.Verify(Eip712.HashHandshake(Domain, stateDigest, signer.Address), signed, signer.Address));
        });
    }

    [Fact]
    public void Dispose_Signer_DisposesItsKeyAndRefusesToSign()
    {
        var key = PrivateKey.Create();
        var signer = new PrivateKeySigner(key);
        signer.Dispose();
        Assert.Throws<ObjectDisposedException>(() => signer.SignState(Domain, new ChannelState(default, 1, Amount.Zero, Amount.Zero, false)));
        Assert.Throws<ObjectDisposedException>(() => key.Sign(Hash32.CreateRandom()));
    }

    private static byte[] ValidKeyBytes(Random r)
    {
        var bytes = r.Bytes(PrivateKey.Length);
        bytes[0] &= 0x7f; // below the group order
        bytes[31] |= 1; // not zero
        return bytes;
    }
}
