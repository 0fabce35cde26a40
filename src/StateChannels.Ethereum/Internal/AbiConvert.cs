using System.Numerics;
using Nethereum.Hex.HexConvertors.Extensions;
using AdjudicatorBindings = StateChannels.Ethereum.Bindings.Adjudicator;

namespace StateChannels.Ethereum.Internal;

/// <summary>Our domain types to and from the generated binding types (docs/encoding.md field by field).</summary>
internal static class AbiConvert
{
    public static AdjudicatorBindings.Params ToAbi(ChannelParams p) => new()
    {
        Participant0 = p.Participant0.ToString(),
        Participant1 = p.Participant1.ToString(),
        Asset = p.Asset.ToString(),
        ChallengeDuration = p.ChallengeDurationSeconds,
        Nonce = ToUInt256(p.Nonce),
        Funding0 = p.Funding0.ToBigInteger(),
        Funding1 = p.Funding1.ToBigInteger(),
    };

    public static AdjudicatorBindings.State ToAbi(in ChannelState s) => new()
    {
        ChannelId = s.ChannelId.ToArray(),
        Version = s.Version,
        Balance0 = s.Balance0.ToBigInteger(),
        Balance1 = s.Balance1.ToBigInteger(),
        IsFinal = s.IsFinal,
    };

    /// <summary>A 32-byte value read as a big-endian uint256 (the contract's <c>uint256 nonce</c>).</summary>
    public static BigInteger ToUInt256(Hash32 value) => new(value.ToArray(), isUnsigned: true, isBigEndian: true);

    /// <summary>A uint256 the node returned, as an amount; a value above 2^128 - 1 means a broken answer.</summary>
    public static Amount ToAmount(BigInteger value, string field) =>
        Amount.TryFromWei(value, out var amount)
            ? amount
            : throw new StateChannelException(ErrorCode.ChainRpcFailure, $"The node returned {field} = {value}, outside the amount range.");

    /// <summary>A bytes32 the node returned.</summary>
    public static Hash32 ToHash32(byte[]? value, string field) =>
        value is { Length: Hash32.Length }
            ? Hash32.FromBytes(value)
            : throw new StateChannelException(ErrorCode.ChainRpcFailure, $"The node returned a malformed {field}.");

    /// <summary>An address the node returned.</summary>
    public static EthAddress ToAddress(string? value, string field) =>
        value is not null && EthAddress.TryParse(value.ToLowerInvariant(), out var address)
            ? address
            : throw new StateChannelException(ErrorCode.ChainRpcFailure, $"The node returned a malformed {field}.");

    /// <summary>0x-prefixed lower-case hex.</summary>
    public static string ToHex(byte[] bytes) => bytes.ToHex(prefix: true);
}
