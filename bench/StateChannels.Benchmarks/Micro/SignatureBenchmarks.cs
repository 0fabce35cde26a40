using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Nethereum.Signer;

namespace StateChannels.Benchmarks.Micro;

/// <summary>
/// One secp256k1 sign and one recover over the same EIP-712 digest, three ways side by side:
/// ours (managed, NBitcoin.Secp256k1: the floor of the default path), native libsecp256k1
/// (Secp256k1.Net: the floor of the machine) and Nethereum's default <see cref="EthECKey"/>.
/// Each recover goes all the way to the 20-byte address, as <see cref="Ecdsa.TryRecover(Hash32, in Signature, out EthAddress)"/> does.
/// Program checks before any run that the three produce the same signature and address.
/// </summary>
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class SignatureBenchmarks
{
    private readonly byte[] _compact = new byte[64];
    private Hash32 _digest;
    private byte[] _digestBytes = [];
    private Signature _signature;
    private byte[] _signatureCompact = [];
    private byte _v;
    private EthECKey _nethereumKey = null!;
    private EthECDSASignature _nethereumSignature = null!;
    private NativeSecp256k1? _native;

    [GlobalSetup]
    public void Setup()
    {
        _digest = Fixtures.Digest;
        _digestBytes = Fixtures.DigestBytes;
        _signature = Fixtures.Alice.Sign(_digest);
        _signatureCompact = _signature.ToArray()[..64];
        _v = _signature.ToArray()[64];
        _nethereumKey = new EthECKey(Fixtures.AliceSecret, isPrivate: true);
        _nethereumSignature = _nethereumKey.SignAndCalculateV(_digestBytes);
        _native = NativeSecp256k1.TryLoad(out _);
    }

    [GlobalCleanup]
    public void Cleanup() => _native?.Dispose();

    [Benchmark(Baseline = true), BenchmarkCategory("sign")]
    public Signature SignManaged() => Fixtures.Alice.Sign(_digest);

    [Benchmark, BenchmarkCategory("sign")]
    public byte SignNative()
    {
        RequireNative().Sign(_digestBytes, Fixtures.AliceSecret, _compact, out byte v);
        return v;
    }

    [Benchmark, BenchmarkCategory("sign")]
    public EthECDSASignature SignNethereum() => _nethereumKey.SignAndCalculateV(_digestBytes);

    [Benchmark(Baseline = true), BenchmarkCategory("recover")]
    public EthAddress RecoverManaged() =>
        Ecdsa.TryRecover(_digest, _signature, out EthAddress signer) ? signer : throw new InvalidOperationException("recovery failed");

    [Benchmark, BenchmarkCategory("recover")]
    public EthAddress RecoverNative() => RequireNative().Recover(_digestBytes, _signatureCompact, _v);

    [Benchmark, BenchmarkCategory("recover")]
    public byte[] RecoverNethereum() => EthECKey.RecoverFromSignature(_nethereumSignature, _digestBytes).GetPublicAddressAsBytes();

    private NativeSecp256k1 RequireNative() =>
        _native ?? throw new InvalidOperationException("native libsecp256k1 did not load (see the run's 'native' line)");
}
