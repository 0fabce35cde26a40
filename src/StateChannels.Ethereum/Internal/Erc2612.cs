using System.Numerics;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Contracts;

namespace StateChannels.Ethereum.Internal;

/// <summary>
/// EIP-2612 (<c>permit</c> for ERC-20): the typed-data digest a token owner signs, and the three
/// token functions we call. The domain separator is never computed here: it is the token's own
/// <c>DOMAIN_SEPARATOR()</c>, read from chain, so tokens with unusual domains (name, version, salt)
/// verify what we sign.
/// </summary>
internal static class Erc2612
{
    /// <summary>EIP-712 typeHash of <c>Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)</c>.</summary>
    public static readonly Hash32 PermitTypeHash =
        Keccak.Hash("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)"u8);

    /// <summary>
    /// The digest signed for a permit: <c>keccak256(0x1901 ‖ domainSeparator ‖ hashStruct(Permit))</c> with
    /// <c>hashStruct = keccak256(typeHash ‖ owner ‖ spender ‖ value ‖ nonce ‖ deadline)</c>, each a 32-byte ABI
    /// word (EIP-712 encodeData); must equal OpenZeppelin ERC20Permit.permit's <c>_hashTypedDataV4(structHash)</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A number is negative or wider than 256 bits.</exception>
    public static Hash32 Digest(Hash32 domainSeparator, EthAddress owner, EthAddress spender, BigInteger value, BigInteger nonce, BigInteger deadline)
    {
        Span<byte> data = stackalloc byte[6 * 32];
        data.Clear();
        PermitTypeHash.WriteTo(data[..32]);
        owner.WriteTo(data[(32 + 12)..64]);
        spender.WriteTo(data[(64 + 12)..96]);
        WriteWord(value, data[96..128], nameof(value));
        WriteWord(nonce, data[128..160], nameof(nonce));
        WriteWord(deadline, data[160..192], nameof(deadline));
        var structHash = Keccak.Hash(data);

        Span<byte> message = stackalloc byte[2 + 32 + 32];
        message[0] = 0x19;
        message[1] = 0x01;
        domainSeparator.WriteTo(message[2..34]);
        structHash.WriteTo(message[34..66]);
        return Keccak.Hash(message);
    }

    private static void WriteWord(BigInteger number, Span<byte> word, string name)
    {
        if (number.Sign < 0 || number.GetByteCount(isUnsigned: true) > 32)
        {
            throw new ArgumentOutOfRangeException(name, number, "Not a uint256.");
        }

        number.TryWriteBytes(word[(32 - number.GetByteCount(isUnsigned: true))..], out _, isUnsigned: true, isBigEndian: true);
    }

    /// <summary><c>DOMAIN_SEPARATOR()</c> (view, EIP-2612).</summary>
    [Function("DOMAIN_SEPARATOR", "bytes32")]
    internal sealed class DomainSeparatorFunction : FunctionMessage;

    /// <summary><c>nonces(address)</c> (view, EIP-2612): the owner's next permit nonce.</summary>
    [Function("nonces", "uint256")]
    internal sealed class NoncesFunction : FunctionMessage
    {
        /// <summary>The token owner.</summary>
        [Parameter("address", "owner", 1)]
        public string Owner { get; set; } = string.Empty;
    }

    /// <summary><c>permit(address,address,uint256,uint256,uint8,bytes32,bytes32)</c> (EIP-2612).</summary>
    [Function("permit")]
    internal sealed class PermitFunction : FunctionMessage
    {
        /// <summary>The token owner, who signed.</summary>
        [Parameter("address", "owner", 1)]
        public string Owner { get; set; } = string.Empty;

        /// <summary>Who may spend.</summary>
        [Parameter("address", "spender", 2)]
        public string Spender { get; set; } = string.Empty;

        /// <summary>The allowance set.</summary>
        [Parameter("uint256", "value", 3)]
        public BigInteger Value { get; set; }

        /// <summary>Unix seconds after which the permit is refused.</summary>
        [Parameter("uint256", "deadline", 4)]
        public BigInteger Deadline { get; set; }

        /// <summary>Recovery id, 27 or 28.</summary>
        [Parameter("uint8", "v", 5)]
        public byte V { get; set; }

        /// <summary>Signature r.</summary>
        [Parameter("bytes32", "r", 6)]
        public byte[] R { get; set; } = [];

        /// <summary>Signature s.</summary>
        [Parameter("bytes32", "s", 7)]
        public byte[] S { get; set; } = [];
    }
}
