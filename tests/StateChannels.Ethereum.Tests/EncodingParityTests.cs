using System.Globalization;
using Nethereum.RPC.Eth.DTOs;
using StateChannels.Ethereum.Internal;
using Xunit.Abstractions;
using AdjudicatorBindings = StateChannels.Ethereum.Bindings.Adjudicator;

namespace StateChannels.Ethereum.Tests;

/// <summary>
/// The C# core and the deployed contract agree bit for bit: <see cref="Eip712.HashState"/> equals
/// <c>Adjudicator.hashState</c>, <see cref="Eip712.ComputeChannelId"/> equals <c>Adjudicator.channelId</c>,
/// and the domain separators match, for seeded random inputs across the full value ranges (the
/// views do not validate, so out-of-range params are fair game too). Set STATECHANNELS_TEST_SEED
/// to replay a failure; the seed is in every assertion message.
/// </summary>
public sealed class EncodingParityTests(AnvilFixture fx, ITestOutputHelper output) : IClassFixture<AnvilFixture>
{
    private const int Cases = 64;

    private static int Seed =>
        int.TryParse(Environment.GetEnvironmentVariable("STATECHANNELS_TEST_SEED"), CultureInfo.InvariantCulture, out var seed) ? seed : 20_251_124;

    [Fact]
    public async Task HashState_RandomStates_EqualsContractHashState()
    {
        var random = new Random(Seed);
        output.WriteLine($"seed {Seed}");
        var adjudicator = await fx.ConnectAsync(fx.Keys[0]);
        for (var i = 0; i < Cases; i++)
        {
            var state = new ChannelState(
                ChannelId.FromHash32(RandomHash(random)),
                RandomUInt64(random, i),
                RandomAmount(random, i),
                RandomAmount(random, i + 1),
                random.Next(2) == 1);
            var onChain = await adjudicator.QueryAsync<AdjudicatorBindings.HashStateFunction, byte[]>(
                "hashState", new() { S = AbiConvert.ToAbi(state) }, BlockParameter.CreateLatest(), CancellationToken.None);
            Assert.True(
                Hash32.FromBytes(onChain) == Eip712.HashState(fx.Domain, state),
                $"seed {Seed}, case {i}: digest differs for {state}");
        }
    }

    [Fact]
    public async Task ComputeChannelId_RandomParams_EqualsContractChannelId()
    {
        var random = new Random(Seed + 1);
        output.WriteLine($"seed {Seed + 1}");
        var adjudicator = await fx.ConnectAsync(fx.Keys[0]);
        for (var i = 0; i < Cases; i++)
        {
            var channel = new ChannelParams(
                RandomAddress(random),
                RandomAddress(random),
                random.Next(4) == 0 ? EthAddress.Zero : RandomAddress(random),
                RandomUInt64(random, i),
                RandomHash(random),
                RandomAmount(random, i),
                RandomAmount(random, i + 2));
            var onChain = await adjudicator.QueryAsync<AdjudicatorBindings.ChannelIdFunction, byte[]>(
                "channelId", new() { P = AbiConvert.ToAbi(channel) }, BlockParameter.CreateLatest(), CancellationToken.None);
            Assert.True(
                ChannelId.FromBytes(onChain) == Eip712.ComputeChannelId(fx.Domain, channel),
                $"seed {Seed + 1}, case {i}: channel id differs for {channel}");
        }
    }

    [Fact]
    public async Task StateDomainSeparator_DeployedContract_EqualsContractDomainSeparator()
    {
        var adjudicator = await fx.ConnectAsync(fx.Keys[0]);
        var onChain = await adjudicator.QueryAsync<AdjudicatorBindings.DomainSeparatorFunction, byte[]>(
            "domainSeparator", new(), BlockParameter.CreateLatest(), CancellationToken.None);
        Assert.Equal(fx.Domain.StateDomainSeparator, Hash32.FromBytes(onChain));
    }

    private static Hash32 RandomHash(Random random)
    {
        Span<byte> bytes = stackalloc byte[32];
        random.NextBytes(bytes);
        return Hash32.FromBytes(bytes);
    }

    private static EthAddress RandomAddress(Random random)
    {
        Span<byte> bytes = stackalloc byte[20];
        random.NextBytes(bytes);
        return EthAddress.FromBytes(bytes);
    }

    // Edge values first (0, 1, max), then random: the encodings break at the boundaries if anywhere.
    private static ulong RandomUInt64(Random random, int i) => (i % 8) switch
    {
        0 => 0,
        1 => ulong.MaxValue,
        2 => 1,
        _ => (ulong)random.NextInt64() ^ ((ulong)random.Next(2) << 63),
    };

    private static Amount RandomAmount(Random random, int i)
    {
        switch (i % 8)
        {
            case 0:
                return Amount.Zero;
            case 1:
                return Amount.MaxValue;
            case 2:
                return new Amount(UInt128.One << 120);
            default:
                Span<byte> bytes = stackalloc byte[16];
                random.NextBytes(bytes);
                var value = new UInt128(BitConverter.ToUInt64(bytes), BitConverter.ToUInt64(bytes[8..]));
                return new Amount(value >> random.Next(0, 128));
        }
    }
}
