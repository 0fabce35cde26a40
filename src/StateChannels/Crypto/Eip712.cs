using System.Text;

namespace StateChannels;

/// <summary>
/// EIP-712 hashing of states, handshakes and channel ids exactly as docs/encoding.md specifies;
/// every digest here must equal the Adjudicator contract's bit for bit. Allocation-free and
/// thread-safe.
/// </summary>
public static class Eip712
{
    /// <summary>The EIP-712 domain name for states.</summary>
    public const string StateDomainName = "StateChannels";

    /// <summary>The EIP-712 domain name for transport handshakes.</summary>
    public const string HandshakeDomainName = "StateChannels.Handshake";

    /// <summary>The EIP-712 domain version of both domains.</summary>
    public const string DomainVersion = "1";

    /// <summary>The EIP-712 domain type string.</summary>
    public const string DomainTypeString = "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)";

    /// <summary>The EIP-712 type string of a state.</summary>
    public const string StateTypeString = "State(bytes32 channelId,uint64 version,uint256 balance0,uint256 balance1,bool isFinal)";

    /// <summary>The EIP-712 type string of a transport handshake.</summary>
    public const string HandshakeTypeString = "Handshake(bytes32 challenge,address peer)";

    private static readonly Hash32 VersionHash = HashUtf8(DomainVersion);

    /// <summary><c>keccak256(DomainTypeString)</c>.</summary>
    public static Hash32 DomainTypeHash { get; } = HashUtf8(DomainTypeString);

    /// <summary><c>STATE_TYPEHASH = keccak256(StateTypeString)</c>; must equal the contract's constant.</summary>
    public static Hash32 StateTypeHash { get; } = HashUtf8(StateTypeString);

    /// <summary><c>keccak256(HandshakeTypeString)</c>.</summary>
    public static Hash32 HandshakeTypeHash { get; } = HashUtf8(HandshakeTypeString);

    /// <summary>
    /// <c>keccak256(abi.encode(DomainTypeHash, keccak256(name), keccak256("1"), chainId, verifyingContract))</c>.
    /// Prefer the cached separators on <see cref="Eip712Domain"/>.
    /// </summary>
    /// <param name="name">The domain name, e.g. <see cref="StateDomainName"/>.</param>
    /// <param name="chainId">The EIP-155 chain id.</param>
    /// <param name="verifyingContract">The adjudicator.</param>
    /// <returns>The domain separator.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    public static Hash32 ComputeDomainSeparator(string name, ulong chainId, EthAddress verifyingContract)
    {
        ArgumentNullException.ThrowIfNull(name);
        Span<byte> buffer = stackalloc byte[5 * AbiWords.WordSize];
        AbiWords.WriteHash(AbiWords.Word(buffer, 0), DomainTypeHash);
        AbiWords.WriteHash(AbiWords.Word(buffer, 1), HashUtf8(name));
        AbiWords.WriteHash(AbiWords.Word(buffer, 2), VersionHash);
        AbiWords.WriteUInt64(AbiWords.Word(buffer, 3), chainId);
        AbiWords.WriteAddress(AbiWords.Word(buffer, 4), verifyingContract);
        return Keccak.Hash(buffer);
    }

    /// <summary>
    /// <c>channelId = keccak256(abi.encode(uint256 chainId, address adjudicator, Params params))</c>:
    /// nine 32-byte words. Does not validate the params.
    /// </summary>
    /// <param name="domain">The chain and adjudicator.</param>
    /// <param name="parameters">The channel params.</param>
    /// <returns>The channel id.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static ChannelId ComputeChannelId(Eip712Domain domain, ChannelParams parameters)
    {
        ArgumentNullException.ThrowIfNull(domain);
        ArgumentNullException.ThrowIfNull(parameters);
        Span<byte> buffer = stackalloc byte[9 * AbiWords.WordSize];
        AbiWords.WriteUInt64(AbiWords.Word(buffer, 0), domain.ChainId);
        AbiWords.WriteAddress(AbiWords.Word(buffer, 1), domain.Adjudicator);
        AbiWords.WriteAddress(AbiWords.Word(buffer, 2), parameters.Participant0);
        AbiWords.WriteAddress(AbiWords.Word(buffer, 3), parameters.Participant1);
        AbiWords.WriteAddress(AbiWords.Word(buffer, 4), parameters.Asset);
        AbiWords.WriteUInt64(AbiWords.Word(buffer, 5), parameters.ChallengeDurationSeconds);
        AbiWords.WriteHash(AbiWords.Word(buffer, 6), parameters.Nonce);
        AbiWords.WriteAmount(AbiWords.Word(buffer, 7), parameters.Funding0);
        AbiWords.WriteAmount(AbiWords.Word(buffer, 8), parameters.Funding1);
        return ChannelId.FromHash32(Keccak.Hash(buffer));
    }

    /// <summary>
    /// EIP-712 <c>hashStruct(state) = keccak256(abi.encode(STATE_TYPEHASH, channelId, version, balance0, balance1, isFinal))</c>.
    /// </summary>
    /// <param name="state">The state.</param>
    /// <returns>The struct hash.</returns>
    public static Hash32 HashStateStruct(in ChannelState state)
    {
        Span<byte> buffer = stackalloc byte[6 * AbiWords.WordSize];
        AbiWords.WriteHash(AbiWords.Word(buffer, 0), StateTypeHash);
        AbiWords.WriteHash(AbiWords.Word(buffer, 1), state.ChannelId.ToHash32());
        AbiWords.WriteUInt64(AbiWords.Word(buffer, 2), state.Version);
        AbiWords.WriteAmount(AbiWords.Word(buffer, 3), state.Balance0);
        AbiWords.WriteAmount(AbiWords.Word(buffer, 4), state.Balance1);
        AbiWords.WriteBool(AbiWords.Word(buffer, 5), state.IsFinal);
        return Keccak.Hash(buffer);
    }

    /// <summary>
    /// The digest both participants sign: <c>keccak256(0x1901 || domainSeparator || hashStruct(state))</c>.
    /// Must equal <c>Adjudicator.hashState</c>.
    /// </summary>
    /// <param name="domain">The chain and adjudicator.</param>
    /// <param name="state">The state.</param>
    /// <returns>The digest.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="domain"/> is null.</exception>
    public static Hash32 HashState(Eip712Domain domain, in ChannelState state)
    {
        ArgumentNullException.ThrowIfNull(domain);
        return TypedDataDigest(domain.StateDomainSeparator, HashStateStruct(state));
    }

    /// <summary>
    /// The digest of a transport handshake, <c>Handshake(bytes32 challenge,address peer)</c> under the
    /// "StateChannels.Handshake" domain: a different type and domain, so it can never pass for a state.
    /// </summary>
    /// <param name="domain">The chain and adjudicator.</param>
    /// <param name="challenge">The challenge the verifier sent.</param>
    /// <param name="peer">The address of the party the signer is authenticating to.</param>
    /// <returns>The digest.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="domain"/> is null.</exception>
    public static Hash32 HashHandshake(Eip712Domain domain, Hash32 challenge, EthAddress peer)
    {
        ArgumentNullException.ThrowIfNull(domain);
        Span<byte> buffer = stackalloc byte[3 * AbiWords.WordSize];
        AbiWords.WriteHash(AbiWords.Word(buffer, 0), HandshakeTypeHash);
        AbiWords.WriteHash(AbiWords.Word(buffer, 1), challenge);
        AbiWords.WriteAddress(AbiWords.Word(buffer, 2), peer);
        return TypedDataDigest(domain.HandshakeDomainSeparator, Keccak.Hash(buffer));
    }

    /// <summary><c>keccak256(0x19 0x01 || domainSeparator || structHash)</c>.</summary>
    /// <param name="domainSeparator">The domain separator.</param>
    /// <param name="structHash">The struct hash.</param>
    /// <returns>The digest.</returns>
    public static Hash32 TypedDataDigest(Hash32 domainSeparator, Hash32 structHash)
    {
        Span<byte> buffer = stackalloc byte[2 + (2 * Hash32.Length)];
        buffer[0] = 0x19;
        buffer[1] = 0x01;
        domainSeparator.WriteTo(buffer[2..]);
        structHash.WriteTo(buffer[(2 + Hash32.Length)..]);
        return Keccak.Hash(buffer);
    }

    private static Hash32 HashUtf8(string text)
    {
        int max = Encoding.UTF8.GetMaxByteCount(text.Length);
        Span<byte> bytes = max <= 256 ? stackalloc byte[max] : new byte[max];
        int length = Encoding.UTF8.GetBytes(text, bytes);
        return Keccak.Hash(bytes[..length]);
    }
}
