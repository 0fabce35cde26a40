using System.Numerics;
using Nethereum.Hex.HexTypes;
using Nethereum.RPC.Eth.DTOs;

namespace StateChannels.Ethereum.Internal;

/// <content>Waiting for a receipt at the confirmation depth: polling, keep-alive, fee bumps, the outcome.</content>
internal sealed partial class TransactionManager
{
    /// <summary>
    /// Polls until one of the record's attempts is mined and <see cref="EthereumAdjudicatorOptions.ConfirmationDepth"/>
    /// deep (and still in the same block), bumping fees when it stays unmined and keeping the current
    /// attempt known to the node. A missing receipt is never success. RPC failures are logged and
    /// polling goes on until <see cref="EthereumAdjudicatorOptions.ReceiptTimeout"/>.
    /// </summary>
    private async Task<TransactionReceipt> WaitAsync(TxRecord record, CancellationToken cancellationToken)
    {
        var time = _options.TimeProvider;
        var started = time.GetTimestamp();
        var lastBump = started;
        var bumpAfter = record.Deadline is null ? _options.FeeBumpInterval : TimeSpan.Zero; // with a deadline: size the first interval at once
        StateChannelException? lastFailure = null;
        var mined = false;
        var bumpNow = false;
        while (true)
        {
            try
            {
                var found = await FindReceiptAsync(record, cancellationToken).ConfigureAwait(false);
                mined = found is not null;
                if (found is { } hit && await IsConfirmedAsync(hit.Receipt, hit.Attempt, cancellationToken).ConfigureAwait(false) is { } receipt)
                {
                    return await FinishAsync(record, hit.Attempt, receipt, cancellationToken).ConfigureAwait(false);
                }

                if (!mined && record.Status == TxStatus.Pending)
                {
                    if (bumpNow || time.GetElapsedTime(lastBump) >= bumpAfter)
                    {
                        (record, bumpAfter) = await BumpOrSizeAsync(record, !bumpNow && bumpAfter == TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
                        lastBump = time.GetTimestamp();
                        bumpNow = false;
                    }
                    else
                    {
                        (record, bumpNow) = await KeepAliveAsync(record, cancellationToken).ConfigureAwait(false);
                    }
                }

                lastFailure = null;
            }
            catch (StateChannelException e) when (e.Code == ErrorCode.ChainRpcFailure)
            {
                lastFailure = e;
                Log.WaitRpcFailure(_options.Logger, record.Operation, record.Latest.Hash.ToString(), e.Message);
            }

            if (time.GetElapsedTime(started) >= _options.ReceiptTimeout)
            {
                var what = $"{record.Operation}: transaction {record.Latest.Hash} was not {(mined ? "confirmed" : "mined")} within {_options.ReceiptTimeout}; it may still be mined.";
                throw lastFailure is null
                    ? new StateChannelException(ErrorCode.Timeout, what)
                    : new StateChannelException(ErrorCode.ChainRpcFailure, $"{what} The node failed: {lastFailure.Message}", lastFailure);
            }

            await Task.Delay(_options.PollInterval, time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The first call with a deadline only sizes the interval (no bump yet); later calls bump.</summary>
    private async Task<(TxRecord Record, TimeSpan NextBump)> BumpOrSizeAsync(TxRecord record, bool sizeOnly, CancellationToken cancellationToken)
    {
        if (!sizeOnly)
        {
            return await BumpAsync(record, cancellationToken).ConfigureAwait(false);
        }

        var (_, chainTime) = await SuggestFeesAsync(cancellationToken).ConfigureAwait(false);
        return (record, FeePolicy.BumpInterval(record.Deadline - chainTime, _options.FeeBumpInterval, _options.PollInterval));
    }

    /// <summary>The receipt of whichever attempt is mined (newest first), or null.</summary>
    private async Task<(TransactionReceipt Receipt, TxAttempt Attempt)?> FindReceiptAsync(TxRecord record, CancellationToken cancellationToken)
    {
        for (var i = record.Attempts.Count - 1; i >= 0; i--)
        {
            var attempt = record.Attempts[i];
            if (await GetReceiptAsync(attempt.Hash, cancellationToken).ConfigureAwait(false) is { } receipt)
            {
                return (receipt, attempt);
            }
        }

        return null;
    }

    /// <summary>The receipt once it is deep enough and its block still canonical; null to keep waiting.</summary>
    private async Task<TransactionReceipt?> IsConfirmedAsync(TransactionReceipt receipt, TxAttempt attempt, CancellationToken cancellationToken)
    {
        var head = await CallAsync(
            "eth_blockNumber",
            async () => { var n = await Web3.Eth.Blocks.GetBlockNumber.SendRequestAsync().ConfigureAwait(false); return RpcGuard.Parsed(n, n); },
            cancellationToken).ConfigureAwait(false);
        if (head?.Value is not { } headNumber || headNumber < receipt.BlockNumber.Value)
        {
            throw new StateChannelException(ErrorCode.ChainRpcFailure, "eth_blockNumber returned a head below a mined receipt's block.");
        }

        if (headNumber - receipt.BlockNumber.Value + 1 < _options.ConfirmationDepth)
        {
            return null;
        }

        if (_options.ConfirmationDepth == 1)
        {
            return receipt;
        }

        // Deep enough; make sure a reorg did not move it in the meantime.
        var again = await GetReceiptAsync(attempt.Hash, cancellationToken).ConfigureAwait(false);
        return again is not null && string.Equals(again.BlockHash, receipt.BlockHash, StringComparison.OrdinalIgnoreCase) ? again : null;
    }

    private async Task<TransactionReceipt?> GetReceiptAsync(Hash32 hash, CancellationToken cancellationToken)
    {
        var receipt = await CallAsync(
            "eth_getTransactionReceipt",
            async () =>
            {
                var r = await Web3.Eth.Transactions.GetTransactionReceipt.SendRequestAsync(hash.ToString()).ConfigureAwait(false);
                return r is null ? null : RpcGuard.Parsed(r, r.BlockNumber, r.Status, r.GasUsed, r.EffectiveGasPrice, r.CumulativeGasUsed);
            },
            cancellationToken).ConfigureAwait(false);

        // Pending (or unknown) transactions have no receipt, or one without a block.
        if (receipt?.BlockNumber?.Value is null || receipt.BlockHash is null)
        {
            return null;
        }

        if (!string.Equals(receipt.TransactionHash, hash.ToString(), StringComparison.OrdinalIgnoreCase) || receipt.BlockNumber.Value.Sign < 0)
        {
            throw new StateChannelException(
                ErrorCode.ChainRpcFailure, $"eth_getTransactionReceipt for {hash} returned a receipt of another transaction ({receipt.TransactionHash}).");
        }

        return receipt;
    }

    /// <summary>Records the outcome durably, then returns the receipt (status 1) or throws the explained revert.</summary>
    private async Task<TransactionReceipt> FinishAsync(TxRecord record, TxAttempt attempt, TransactionReceipt receipt, CancellationToken cancellationToken)
    {
        var succeeded = receipt.Status?.Value == BigInteger.One;
        var outcome = record with { Status = succeeded ? TxStatus.Confirmed : TxStatus.Failed, MinedHash = attempt.Hash };
        if (outcome != record)
        {
            await SaveAsync(outcome).ConfigureAwait(false);
        }

        if (!succeeded)
        {
            throw await ExplainFailureAsync(record, attempt, receipt, cancellationToken).ConfigureAwait(false);
        }

        if (record.Status != TxStatus.Confirmed)
        {
            Log.TransactionConfirmed(_options.Logger, record.Operation, attempt.Hash.ToString(), (ulong)receipt.BlockNumber.Value, (ulong)(receipt.GasUsed?.Value ?? 0));
            Confirmed?.Invoke(record.Operation, receipt);
        }

        return receipt;
    }

    /// <summary>
    /// A mined transaction failed after passing estimation: usually because a transaction ahead of
    /// it in the same block changed the state (a rival deposit, a refutation). Replaying it with
    /// eth_call on the state at the end of its block recovers that revert reason. The replay is a
    /// best effort (it cannot see state that later blocks changed back); when it does not revert,
    /// the error is unnamed. Always returns a <see cref="ErrorCode.TransactionFailed"/> exception.
    /// </summary>
    private async Task<StateChannelException> ExplainFailureAsync(
        TxRecord record, TxAttempt attempt, TransactionReceipt receipt, CancellationToken cancellationToken)
    {
        var what = $"{record.Operation} (transaction {attempt.Hash}, block {receipt.BlockNumber.Value})";
        if (receipt.Status is null)
        {
            return new StateChannelException(ErrorCode.TransactionFailed, $"Reverted: {what} has a receipt without status; treated as failed.");
        }

        try
        {
            var block = new BlockParameter(receipt.BlockNumber);
            await CallAsync(
                what,
                () => Web3.Eth.Transactions.Call.SendRequestAsync(
                    new CallInput
                    {
                        From = Account.ToString(),
                        To = record.To?.ToString(),
                        Data = AbiConvert.ToHex(record.Data),
                        Value = new HexBigInteger(record.Value),
                        Gas = new HexBigInteger(record.GasLimit),
                    },
                    block),
                cancellationToken).ConfigureAwait(false);
        }
        catch (StateChannelException e) when (e.Code == ErrorCode.TransactionFailed)
        {
            return e;
        }
        catch (StateChannelException)
        {
            // The replay itself failed (e.g. out of gas is not a revert to every node): no name.
        }

        return RpcGuard.Reverted(what, revertData: null);
    }
}
