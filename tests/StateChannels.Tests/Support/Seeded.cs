using Xunit.Sdk;

namespace StateChannels.Tests.Support;

/// <summary>
/// Runs a randomized test body with a seed that is printed on failure. Set
/// STATECHANNELS_TEST_SEED to replay a failing run.
/// </summary>
internal static class Seeded
{
    public static void Run(int iterations, Action<Random, int> body)
    {
        string? fixedSeed = Environment.GetEnvironmentVariable("STATECHANNELS_TEST_SEED");
        int seed = fixedSeed is not null ? int.Parse(fixedSeed, System.Globalization.CultureInfo.InvariantCulture) : Random.Shared.Next();
        var random = new Random(seed);
        int i = 0;
        try
        {
            for (; i < iterations; i++)
            {
                body(random, i);
            }
        }
        catch (Exception ex)
        {
            throw new XunitException($"Failed at iteration {i} with seed {seed} (replay: STATECHANNELS_TEST_SEED={seed}). {ex.GetType().Name}: {ex.Message}", ex);
        }
    }

    public static byte[] Bytes(this Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    public static EthAddress NextAddress(this Random random) => EthAddress.FromBytes(random.Bytes(EthAddress.Length));

    public static Hash32 NextHash(this Random random) => Hash32.FromBytes(random.Bytes(Hash32.Length));

    /// <summary>An amount with a random bit length up to <paramref name="maxBits"/>, so small and huge values both occur.</summary>
    public static Amount NextAmount(this Random random, int maxBits = 128)
    {
        int bits = random.Next(0, maxBits + 1);
        if (bits == 0)
        {
            return Amount.Zero;
        }

        UInt128 value = new((ulong)random.NextInt64() ^ ((ulong)random.NextInt64() << 1), (ulong)random.NextInt64() ^ ((ulong)random.NextInt64() << 1));
        return new Amount(value >> (128 - bits));
    }

    public static ulong NextUInt64(this Random random) => (ulong)random.NextInt64() ^ ((ulong)random.NextInt64() << 1);

    /// <summary>A random version, biased to include 0 and the uint64 extremes.</summary>
    public static ulong NextVersion(this Random random) => random.Next(8) switch
    {
        0 => 0,
        1 => ulong.MaxValue,
        2 => ulong.MaxValue - 1,
        _ => random.NextUInt64() >> random.Next(64),
    };
}
