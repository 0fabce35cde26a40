namespace StateChannels;

/// <summary>
/// The EIP-712 domain channels live in: a chain id and the adjudicator contract's address. They form
/// the EIP-712 domain of signed states and handshakes; both domain separators are computed once
/// at construction. Immutable and thread-safe; value equality on (chain id, adjudicator).
/// </summary>
public sealed class Eip712Domain : IEquatable<Eip712Domain>
{
    /// <summary>Creates the context and caches its domain separators.</summary>
    /// <param name="chainId">The EIP-155 chain id (1 for mainnet, 31337 for anvil).</param>
    /// <param name="adjudicator">The adjudicator contract (the domain's verifyingContract).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="chainId"/> is zero.</exception>
    /// <exception cref="ArgumentException"><paramref name="adjudicator"/> is the zero address.</exception>
    public Eip712Domain(ulong chainId, EthAddress adjudicator)
    {
        ArgumentOutOfRangeException.ThrowIfZero(chainId);
        if (adjudicator.IsZero)
        {
            throw new ArgumentException("The adjudicator must be a non-zero address.", nameof(adjudicator));
        }

        ChainId = chainId;
        Adjudicator = adjudicator;
        StateDomainSeparator = Eip712.ComputeDomainSeparator(Eip712.StateDomainName, chainId, adjudicator);
        HandshakeDomainSeparator = Eip712.ComputeDomainSeparator(Eip712.HandshakeDomainName, chainId, adjudicator);
    }

    /// <summary>The EIP-155 chain id.</summary>
    public ulong ChainId { get; }

    /// <summary>The adjudicator contract's address.</summary>
    public EthAddress Adjudicator { get; }

    /// <summary>The EIP-712 domain separator for states (name "StateChannels", version "1"); must equal the contract's.</summary>
    public Hash32 StateDomainSeparator { get; }

    /// <summary>The EIP-712 domain separator for transport handshakes (name "StateChannels.Handshake", version "1").</summary>
    public Hash32 HandshakeDomainSeparator { get; }

    /// <summary>Whether both have the same chain id and adjudicator.</summary>
    /// <param name="other">The context to compare with.</param>
    /// <returns><see langword="true"/> when equal.</returns>
    public bool Equals(Eip712Domain? other) =>
        other is not null && ChainId == other.ChainId && Adjudicator == other.Adjudicator;

    /// <summary>Whether <paramref name="obj"/> is an equal context.</summary>
    /// <param name="obj">The object to compare with.</param>
    /// <returns><see langword="true"/> when equal.</returns>
    public override bool Equals(object? obj) => Equals(obj as Eip712Domain);

    /// <summary>A hash code of the chain id and adjudicator.</summary>
    /// <returns>The hash code.</returns>
    public override int GetHashCode() => HashCode.Combine(ChainId, Adjudicator);

    /// <summary>A readable form, e.g. <c>chain 31337, adjudicator 0x5FbDB2315678afecb367f032d93F642f64180aa3</c>.</summary>
    /// <returns>The summary.</returns>
    public override string ToString() => $"chain {ChainId}, adjudicator {Adjudicator}";
}
