using System.Buffers.Binary;

namespace StateChannels.Benchmarks;

/// <summary>
/// The fixed inputs every benchmark shares: two keys, one channel on chain 31337, and a state in
/// the middle of its life. Deterministic, so two runs hash and sign exactly the same bytes.
/// </summary>
internal static class Fixtures
{
    /// <summary>Alice's secret scalar (participant 0). A test key: never fund it.</summary>
    public static byte[] AliceSecret { get; } = Convert.FromHexString("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318");

    /// <summary>Bob's secret scalar (participant 1). A test key: never fund it.</summary>
    public static byte[] BobSecret { get; } = Convert.FromHexString("8da4ef21b864d2cc526dbdb2a120bd2874c36c9d0a1fb7f8c63d7f7a8b41de8f");

    public static Eip712Domain Domain { get; } = new(31337, EthAddress.Parse("0x5FbDB2315678afecb367f032d93F642f64180aa3"));

    public static PrivateKey Alice { get; } = PrivateKey.FromBytes(AliceSecret);

    public static PrivateKey Bob { get; } = PrivateKey.FromBytes(BobSecret);

    public static ChannelParams Params { get; } = new(
        Alice.Address,
        Bob.Address,
        EthAddress.Zero,
        TimeSpan.FromHours(1),
        Hash32.FromBytes(Convert.FromHexString("00000000000000000000000000000000000000000000000000000000c0ffee01")),
        1_000_000_000_000_000_000UL,
        1_000_000_000_000_000_000UL);

    public static ChannelId ChannelId { get; } = Eip712.ComputeChannelId(Domain, Params);

    /// <summary>Version 1,000 after Alice paid Bob 0.25 ETH.</summary>
    public static ChannelState State { get; } = StateAt(1_000);

    /// <summary>The EIP-712 digest of <see cref="State"/>: what every signing benchmark signs.</summary>
    public static Hash32 Digest { get; } = Eip712.HashState(Domain, State);

    public static byte[] DigestBytes { get; } = ToArray(Digest);

    public static ChannelState StateAt(ulong version) =>
        new(ChannelId, version, 750_000_000_000_000_000UL, 1_250_000_000_000_000_000UL, IsFinal: false);

    /// <summary>A distinct channel (another nonce) for store benchmarks that write many channels.</summary>
    public static ChannelParams ParamsFor(int channel) => new(
        Alice.Address,
        Bob.Address,
        EthAddress.Zero,
        TimeSpan.FromHours(1),
        NonceFor(channel),
        1_000_000_000_000_000_000UL,
        1_000_000_000_000_000_000UL);

    private static Hash32 NonceFor(int channel)
    {
        Span<byte> nonce = stackalloc byte[Hash32.Length];
        nonce.Clear();
        BinaryPrimitives.WriteInt64BigEndian(nonce[24..], channel + 1L);
        return Hash32.FromBytes(nonce);
    }

    public static byte[] ToArray(Hash32 hash)
    {
        var bytes = new byte[Hash32.Length];
        hash.WriteTo(bytes);
        return bytes;
    }
}
