using BenchmarkDotNet.Attributes;
using Nethereum.Util;

namespace StateChannels.Benchmarks.Micro;

/// <summary>
/// Keccak-256 of one word (ours against Nethereum's <see cref="Sha3Keccack"/>), the EIP-712 state
/// digest every update signs and checks (<see cref="Eip712.HashState"/>), and the channel id
/// (<see cref="Eip712.ComputeChannelId"/>, nine words).
/// </summary>
public class HashingBenchmarks
{
    private readonly byte[] _word = Fixtures.ToArray(Fixtures.Digest);
    private readonly Sha3Keccack _nethereum = new();
    private ChannelState _state;

    [GlobalSetup]
    public void Setup() => _state = Fixtures.State;

    [Benchmark(Baseline = true)]
    public Hash32 Keccak32() => Keccak.Hash(_word);

    [Benchmark]
    public byte[] Keccak32Nethereum() => _nethereum.CalculateHash(_word);

    [Benchmark]
    public Hash32 HashState() => Eip712.HashState(Fixtures.Domain, _state);

    [Benchmark]
    public ChannelId ChannelId() => Eip712.ComputeChannelId(Fixtures.Domain, Fixtures.Params);
}
