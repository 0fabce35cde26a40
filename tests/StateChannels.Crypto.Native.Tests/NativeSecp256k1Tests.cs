using System.Text.Json;
using Xunit.Abstractions;

namespace StateChannels.Crypto.Native.Tests;

/// <summary>The native backend gives exactly the managed default's signatures and recoveries.</summary>
public sealed class NativeSecp256k1Tests(ITestOutputHelper output)
{
    private static readonly ISecp256k1 Native = NativeSecp256k1.Instance;

    public static TheoryData<string> VectorNames()
    {
        var data = new TheoryData<string>();
        foreach (var c in Vectors())
        {
            data.Add(c.GetProperty("name").GetString()!);
        }

        return data;
    }

    [Fact]
    public void TryLoad_OnThisMachine_Loads()
    {
        Assert.True(NativeSecp256k1.TryLoad(out var reason), reason);
        Assert.Contains("native", Native.Name, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(VectorNames))]
    public void Sign_SharedVector_EqualsEthersAndManaged(string name)
    {
        var v = Vectors().Single(c => c.GetProperty("name").GetString() == name);
        var digest = Hash32.Parse(v.GetProperty("digest").GetString()!);
        foreach (var (keyField, sigField) in new[] { ("privateKey0", "sig0"), ("privateKey1", "sig1") })
        {
            using var key = PrivateKey.Parse(v.GetProperty(keyField).GetString()!);
            var expected = Signature.Parse(v.GetProperty(sigField).GetString()!);
            Assert.Equal(expected, key.Sign(digest, Native));
            Assert.Equal(expected, key.Sign(digest));
        }
    }

    [Theory]
    [MemberData(nameof(VectorNames))]
    public void TryRecover_SharedVector_RecoversTheParticipants(string name)
    {
        var v = Vectors().Single(c => c.GetProperty("name").GetString() == name);
        var digest = Hash32.Parse(v.GetProperty("digest").GetString()!);
        var p = v.GetProperty("params");
        Assert.True(Ecdsa.TryRecover(Native, digest, Signature.Parse(v.GetProperty("sig0").GetString()!), out var a0));
        Assert.True(Ecdsa.TryRecover(Native, digest, Signature.Parse(v.GetProperty("sig1").GetString()!), out var a1));
        Assert.Equal(EthAddress.Parse(p.GetProperty("participant0").GetString()!), a0);
        Assert.Equal(EthAddress.Parse(p.GetProperty("participant1").GetString()!), a1);
    }

    [Fact]
    public void SignAndRecover_RandomKeysAndDigests_SameAsManaged()
    {
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var rng = new Random(seed);
        Span<byte> bytes = stackalloc byte[32];
        for (var i = 0; i < 200; i++)
        {
            rng.NextBytes(bytes);
            if (!PrivateKey.TryFromBytes(bytes, out var key))
            {
                continue;
            }

            using (key)
            {
                rng.NextBytes(bytes);
                var digest = Hash32.FromBytes(bytes);
                var managed = key.Sign(digest);
                var native = key.Sign(digest, Native);
                Assert.True(managed == native, $"seed {seed}, case {i}: signatures differ");
                Assert.True(Ecdsa.TryRecover(Native, digest, native, out var signer), $"seed {seed}, case {i}");
                Assert.Equal(key.Address, signer);
                Assert.True(Ecdsa.Verify(Native, digest, managed, key.Address));
            }
        }
    }

    [Fact]
    public void TryRecover_RandomGarbageSignatures_AgreesWithManaged()
    {
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var rng = new Random(seed);
        var raw = new byte[65];
        var digestBytes = new byte[32];
        var checkedCount = 0;
        for (var i = 0; i < 500; i++)
        {
            rng.NextBytes(raw);
            rng.NextBytes(digestBytes);
            raw[64] = (byte)(27 + rng.Next(2));
            raw[32] &= 0x7f; // keep s in the lower half so most cases pass Signature's own checks
            if (!Signature.TryFromBytes(raw, out var signature))
            {
                continue;
            }

            checkedCount++;
            var digest = Hash32.FromBytes(digestBytes);
            var managedOk = Ecdsa.TryRecover(digest, signature, out var managed);
            var nativeOk = Ecdsa.TryRecover(Native, digest, signature, out var native);
            Assert.True(managedOk == nativeOk, $"seed {seed}, case {i}: managed {managedOk}, native {nativeOk}");
            Assert.Equal(managed, native);
        }

        Assert.True(checkedCount > 100, $"seed {seed}: only {checkedCount} cases");
    }

    [Fact]
    public void TryRecover_DefaultSignature_False()
    {
        Assert.False(Ecdsa.TryRecover(Native, Hash32.FromBytes(new byte[32]), default, out var signer));
        Assert.True(signer.IsZero);
    }

    [Fact]
    public void PrivateKeySigner_NativeBackend_SignsStatesLikeManaged()
    {
        using var key = PrivateKey.Create();
        var domain = new Eip712Domain(31337, EthAddress.Parse("0x5fbdb2315678afecb367f032d93f642f64180aa3"));
        var state = new ChannelState(ChannelId.FromBytes(new byte[32]), 7, (Amount)5UL, (Amount)6UL, false);
        var digest = Eip712.HashState(domain, state);
        var native = new PrivateKeySigner(key, Native).SignState(domain, state);
        Assert.Equal(key.Sign(digest), native);
        Assert.True(Ecdsa.Verify(digest, native, key.Address));
    }

    [Fact]
    public void Sign_DisposedKey_Throws()
    {
        var key = PrivateKey.Create();
        key.Dispose();
        Assert.Throws<ObjectDisposedException>(() => key.Sign(Hash32.FromBytes(new byte[32]), Native));
    }

    private static List<JsonElement> Vectors()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "vectors", "eip712.json")));
        return doc.RootElement.GetProperty("cases").EnumerateArray().Select(e => e.Clone()).ToList();
    }
}
