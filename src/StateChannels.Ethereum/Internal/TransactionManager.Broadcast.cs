using System.Numerics;
using Nethereum.Hex.HexTypes;
using Nethereum.JsonRpc.Client;
using Nethereum.RPC.Eth.DTOs;
using Transaction1559 = Nethereum.Model.Transaction1559;

namespace StateChannels.Ethereum.Internal;

/// <content>Signing, broadcasting and its outcomes, fee suggestions, replacements.</content>
internal sealed partial class TransactionManager
{
    private static readonly BigInteger OneGwei = 1_000_000_000;

    /// <summary>What the node said to a broadcast.</summary>
    private enum BroadcastKind
    {
        /// <summary>Accepted now, or known already (a re-broadcast of the same bytes).</summary>
        Accepted,

        /// <summary>No answer (transport failure after retries): it may or may not have arrived.</summary>
        Unknown,

        /// <summary>The account's nonce is past this transaction's: something is mined at its nonce.</summary>
        NonceTooLow,

        /// <summary>A transaction at this nonce with higher fees is pending (a refused replacement).</summary>
        Underpriced,

        /// <summary>The max fee is below the base fee (the node dropped it, or refuses it for now): bid more.</summary>
        FeeTooLow,

        /// <summary>Refused for another reason (funds, gas limit, ...): this transaction will never be mined.</summary>
        Rejected,
    }

    private readonly record struct BroadcastOutcome(BroadcastKind Kind, string? Message = null);

    /// <summary>Builds and signs an EIP-1559 transaction with our key (the key never leaves it).</summary>
    private TxAttempt Sign(ulong nonce, Fees fees, BigInteger gasLimit, EthAddress? to, BigInteger value, byte[] data)
    {
        var tx = new Transaction1559(
            _chainId, nonce, fees.MaxPriorityFeePerGas, fees.MaxFeePerGas, gasLimit, to?.ToString(), value, AbiConvert.ToHex(data), null);
        var signature = _key.Sign(Hash32.FromBytes(tx.RawHash));

        // Ethereum wants low-s and the y-parity (0/1) for typed transactions.
        tx.SetSignature(new Nethereum.Model.Signature(
            TrimLeadingZeros(signature.R.ToArray()),
            TrimLeadingZeros(signature.S.ToArray()),
            signature.V == 27 ? [] : [1]));
        return new TxAttempt(nonce, fees, Hash32.FromBytes(tx.Hash), tx.GetRLPEncoded());
    }

    // RLP integers carry no leading zero bytes (the yellow paper's canonical form; nodes reject others).
    private static byte[] TrimLeadingZeros(byte[] bytes)
    {
        var i = 0;
        while (i < bytes.Length && bytes[i] == 0)
        {
            i++;
        }

        return bytes[i..];
    }

    /// <summary>
    /// Broadcasts already signed bytes — idempotent, so through the retry pipeline — and classifies the
    /// answer. "Already known" is success. Not cancellable: once signed and journaled, the bytes should
    /// reach the node.
    /// </summary>
    private async Task<BroadcastOutcome> BroadcastAsync(string operation, TxAttempt attempt)
    {
        var raw = AbiConvert.ToHex(attempt.Raw);
        string hash;
        try
        {
            hash = await Pipeline.ExecuteAsync(
                async token => await Web3.Eth.Transactions.SendRawTransaction.SendRequestAsync(raw).WaitAsync(token).ConfigureAwait(false),
                CancellationToken.None).ConfigureAwait(false);
        }
        catch (RpcResponseException e) when (!RpcGuard.IsRevert(e.RpcError))
        {
            return Classify(e.RpcError?.Message ?? e.Message);
        }
        catch (Exception e) when (RpcGuard.Map(operation, e, CancellationToken.None) is { } mapped)
        {
            if (mapped.Code == ErrorCode.TransactionFailed)
            {
                return new BroadcastOutcome(BroadcastKind.Rejected, mapped.Message);
            }

            Log.BroadcastUnknown(_options.Logger, operation, attempt.Hash.ToString(), mapped.Message);
            return new BroadcastOutcome(BroadcastKind.Unknown, mapped.Message);
        }

        if (!string.Equals(hash, attempt.Hash.ToString(), StringComparison.OrdinalIgnoreCase))
        {
            throw new StateChannelException(
                ErrorCode.ChainRpcFailure, $"{operation}: the node returned transaction hash {hash}, expected {attempt.Hash}.");
        }

        return new BroadcastOutcome(BroadcastKind.Accepted);
    }

    /// <summary>Node error messages of geth, anvil/reth, Nethermind, Erigon and Besu for a raw transaction.</summary>
    private static BroadcastOutcome Classify(string message)
    {
        bool Has(string text) => message.Contains(text, StringComparison.OrdinalIgnoreCase);
        if (Has("already known") || Has("already imported") || Has("known transaction") || Has("alreadyknown") || Has("already exists"))
        {
            return new BroadcastOutcome(BroadcastKind.Accepted, message);
        }

        if (Has("nonce too low") || Has("nonce is too low") || Has("oldnonce") || Has("already been used") || Has("nonce has already"))
        {
            return new BroadcastOutcome(BroadcastKind.NonceTooLow, message);
        }

        if (Has("less than block base fee") || Has("fee cap less than") || Has("feetoolow") || Has("fee too low") || Has("below base fee"))
        {
            return new BroadcastOutcome(BroadcastKind.FeeTooLow, message);
        }

        if (Has("underpriced"))
        {
            return new BroadcastOutcome(BroadcastKind.Underpriced, message);
        }

        return new BroadcastOutcome(BroadcastKind.Rejected, message);
    }

    /// <summary>Whether the node knows the transaction (pending or mined).</summary>
    private async Task<bool> IsKnownAsync(Hash32 hash, CancellationToken cancellationToken)
    {
        var tx = await CallAsync(
            "eth_getTransactionByHash", () => Web3.Eth.Transactions.GetTransactionByHash.SendRequestAsync(hash.ToString()), cancellationToken)
            .ConfigureAwait(false);
        return tx is not null;
    }

    /// <summary>What <see cref="FeePolicy.Initial"/> bids now, and the head block's timestamp (chain time).</summary>
    private async Task<(Fees Fees, DateTimeOffset ChainTime)> SuggestFeesAsync(CancellationToken cancellationToken)
    {
        var block = await CallAsync(
            "eth_getBlockByNumber",
            async () =>
            {
                var b = await Web3.Eth.Blocks.GetBlockWithTransactionsHashesByNumber.SendRequestAsync(BlockParameter.CreateLatest()).ConfigureAwait(false);
                return b is null ? null : RpcGuard.Parsed(b, b.BaseFeePerGas, b.Timestamp, b.Number);
            },
            cancellationToken).ConfigureAwait(false);
        if (block?.BaseFeePerGas?.Value is not { Sign: >= 0 } baseFee || block.Timestamp?.Value is not { Sign: >= 0 } timestamp
            || timestamp > DateTimeOffset.MaxValue.ToUnixTimeSeconds())
        {
            throw new StateChannelException(
                ErrorCode.ChainRpcFailure, "The node gave no valid head block with an EIP-1559 base fee (is it a pre-London chain?).");
        }

        BigInteger priority;
        try
        {
            priority = (await CallAsync(
                "eth_maxPriorityFeePerGas",
                async () =>
                {
                    var p = await Web3.Client.SendRequestAsync<HexBigInteger>(new RpcRequest(1, "eth_maxPriorityFeePerGas")).ConfigureAwait(false);
                    return RpcGuard.Parsed(p, p);
                },
                cancellationToken).ConfigureAwait(false))?.Value ?? OneGwei;
        }
        catch (StateChannelException e) when (e.InnerException is RpcResponseException)
        {
            priority = OneGwei; // the node does not offer a suggestion
        }

        if (priority.Sign < 0)
        {
            throw new StateChannelException(ErrorCode.ChainRpcFailure, "eth_maxPriorityFeePerGas returned a negative fee.");
        }

        return (FeePolicy.Initial(baseFee, priority, _options.MaxFeePerGas.ToBigInteger()),
            DateTimeOffset.FromUnixTimeSeconds((long)timestamp));
    }

    /// <summary>
    /// Makes sure the node has our current attempt: re-broadcasts it when the node does not know it;
    /// when its nonce was used by someone else, re-signs at a fresh nonce. BumpNow: the node dropped it
    /// for a fee below the base fee, so the caller should bid more at once.
    /// </summary>
    private async Task<(TxRecord Record, bool BumpNow)> KeepAliveAsync(TxRecord record, CancellationToken cancellationToken)
    {
        if (await IsKnownAsync(record.Latest.Hash, cancellationToken).ConfigureAwait(false))
        {
            return (record, false);
        }

        var outcome = await BroadcastAsync(record.Operation, record.Latest).ConfigureAwait(false);
        switch (outcome.Kind)
        {
            case BroadcastKind.Accepted:
            case BroadcastKind.Unknown:
                Log.Rebroadcast(_options.Logger, record.Operation, record.Latest.Hash.ToString(), record.Latest.Nonce);
                return (record, false);
            case BroadcastKind.FeeTooLow:
                Log.ReplacementRefused(_options.Logger, record.Operation, record.Latest.Hash.ToString(), outcome.Message ?? "fee too low");
                return (record, true);
            case BroadcastKind.NonceTooLow:
            case BroadcastKind.Underpriced:
                // Something else holds our nonce. If it is one of our own attempts, its receipt shows
                // up in the next poll; otherwise another wallet used the account: re-sign.
                if (await FindReceiptAsync(record, cancellationToken).ConfigureAwait(false) is not null)
                {
                    return (record, false);
                }

                return (await ResignAsync(record, cancellationToken).ConfigureAwait(false), false);
            default:
                await SaveAsync(record with { Status = TxStatus.Failed }).ConfigureAwait(false);
                throw Rejected(record.Operation, outcome.Message);
        }
    }

    /// <summary>Signs the operation again at a fresh nonce (another wallet used ours), journaled before broadcast.</summary>
    private async Task<TxRecord> ResignAsync(TxRecord record, CancellationToken cancellationToken)
    {
        await _accountLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var (fresh, _) = await SuggestFeesAsync(cancellationToken).ConfigureAwait(false);
            var fees = new Fees(
                BigInteger.Max(fresh.MaxFeePerGas, record.Latest.Fees.MaxFeePerGas),
                BigInteger.Max(fresh.MaxPriorityFeePerGas, record.Latest.Fees.MaxPriorityFeePerGas));
            var nonce = await NextNonceAsync(record.Key, cancellationToken).ConfigureAwait(false);
            for (var tries = 0; ; tries++)
            {
                var taken = record.Latest.Nonce;
                var attempt = Sign(nonce, fees, record.GasLimit, record.To, record.Value, record.Data);
                var candidate = record with { Attempts = [.. record.Attempts, attempt] };
                await SaveAsync(candidate).ConfigureAwait(false);
                Signed?.Invoke(record.Operation, attempt);
                var outcome = await BroadcastAsync(record.Operation, attempt).ConfigureAwait(false);
                if (outcome.Kind is BroadcastKind.Accepted or BroadcastKind.Unknown)
                {
                    Log.Resigned(_options.Logger, record.Operation, taken, attempt.Hash.ToString(), nonce);
                    return candidate;
                }

                await SaveAsync(record).ConfigureAwait(false);
                if (outcome.Kind is BroadcastKind.FeeTooLow)
                {
                    fees = FeePolicy.Bump(fees, fees, null, _options.FeeBumpInterval, _options.MaxFeePerGas.ToBigInteger()) ?? fees;
                }

                if (outcome.Kind is BroadcastKind.Rejected || tries >= MaxResigns)
                {
                    await SaveAsync(record with { Status = TxStatus.Failed }).ConfigureAwait(false);
                    throw Rejected(record.Operation, outcome.Message);
                }

                nonce = ulong.Max(nonce + 1, await PendingCountAsync(cancellationToken).ConfigureAwait(false));
            }
        }
        finally
        {
            _accountLock.Release();
        }
    }
}
