using System.Numerics;

namespace StateChannels.Ethereum.Internal;

/// <summary>One operation for the <see cref="TransactionManager"/>.</summary>
/// <param name="Operation">Its name for logs and errors, e.g. <c>Adjudicator.register</c>.</param>
/// <param name="Key">
/// The idempotency key (e.g. <c>register/&lt;channel&gt;/&lt;version&gt;</c>): a call whose key has a pending
/// journal record resumes that record's transaction instead of sending a new one.
/// </param>
/// <param name="OneShot">
/// Whether a confirmed record also answers a later call with the same key (the operation has the same
/// effect however often it is asked for: register a version, deposit with an expected holding, close,
/// conclude); otherwise a later call sends a new transaction (withdraw, approve).
/// </param>
/// <param name="To">The callee; null for a contract creation.</param>
/// <param name="Data">The call data.</param>
/// <param name="Value">Wei sent along.</param>
/// <param name="Deadline">Chain time (block timestamp) by which it must be mined, if any: fee bumps come faster and larger as it nears.</param>
internal sealed record TxRequest(
    string Operation, string Key, bool OneShot, EthAddress? To, byte[] Data, BigInteger Value, DateTimeOffset? Deadline = null);
