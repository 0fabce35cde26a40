using System.Numerics;

namespace StateChannels.Ethereum.Internal;

/// <summary>Where a journaled operation stands.</summary>
internal enum TxStatus : byte
{
    /// <summary>Signed and journaled; maybe broadcast, not yet confirmed. Resumed, never re-created.</summary>
    Pending = 1,

    /// <summary>One of its attempts is mined with status 1 at the confirmation depth.</summary>
    Confirmed = 2,

    /// <summary>Reverted on chain or refused by the node: a new call sends a new transaction.</summary>
    Failed = 3,
}

/// <summary>One signed transaction of an operation: the first one, a fee bump, or a re-sign at a fresh nonce.</summary>
/// <param name="Nonce">The account nonce it uses.</param>
/// <param name="Fees">Its EIP-1559 fees.</param>
/// <param name="Hash">Its transaction hash.</param>
/// <param name="Raw">The signed RLP bytes, as broadcast (re-broadcast unchanged).</param>
internal sealed record TxAttempt(ulong Nonce, Fees Fees, Hash32 Hash, byte[] Raw);

/// <summary>
/// The journal record of one operation (an idempotency key such as <c>register/&lt;channel&gt;/&lt;version&gt;</c>):
/// the call it makes and every transaction signed for it, written durably before each broadcast.
/// </summary>
internal sealed record TxRecord
{
    /// <summary>The idempotency key (unique per account and chain).</summary>
    public required string Key { get; init; }

    /// <summary>The operation's name for logs and errors, e.g. <c>Adjudicator.register</c>.</summary>
    public required string Operation { get; init; }

    public required TxStatus Status { get; init; }

    /// <summary>The callee; null for a contract creation.</summary>
    public required EthAddress? To { get; init; }

    public required BigInteger Value { get; init; }

    public required byte[] Data { get; init; }

    public required BigInteger GasLimit { get; init; }

    /// <summary>The operation's deadline in chain time (block timestamps), if it has one.</summary>
    public DateTimeOffset? Deadline { get; init; }

    /// <summary>Every attempt still able to be mined, oldest first; the last one is the current bid.</summary>
    public required IReadOnlyList<TxAttempt> Attempts { get; init; }

    /// <summary>The attempt that was mined (confirmed or reverted), once known.</summary>
    public Hash32? MinedHash { get; init; }

    public TxAttempt Latest => Attempts[^1];
}
