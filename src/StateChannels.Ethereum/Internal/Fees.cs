using System.Numerics;

namespace StateChannels.Ethereum.Internal;

/// <summary>The EIP-1559 fee fields of a transaction, in wei per gas.</summary>
/// <param name="MaxFeePerGas">The most the sender pays per gas (base fee + tip).</param>
/// <param name="MaxPriorityFeePerGas">The most the sender tips the block producer per gas.</param>
internal readonly record struct Fees(BigInteger MaxFeePerGas, BigInteger MaxPriorityFeePerGas);
