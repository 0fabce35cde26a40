using System.Numerics;
using Nethereum.Hex.HexConvertors.Extensions;
using Nethereum.Hex.HexTypes;
using Nethereum.JsonRpc.Client;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.RPC.Fee1559Suggestions;
using Nethereum.RPC.NonceServices;
using Nethereum.Web3;
using Transaction1559 = Nethereum.Model.Transaction1559;

namespace StateChannels.Ethereum.Internal;

/// <summary>
/// Sends EIP-1559 transactions from one account and waits for their receipts at the configured
/// confirmation depth. The transaction is built and RLP-encoded by Nethereum and signed by our own
/// <see cref="PrivateKey"/> (the key never leaves it), then sent raw.
/// <para>Nonces come from Nethereum's <see cref="InMemoryNonceService"/> (pending count, then
/// incremented in memory); nonce allocation, signing and sending are serialized so a failed send
/// can reset the counter before anyone else takes a nonce. This is deliberately simple: it does
/// not survive restarts, does not bump fees or replace stuck transactions, and assumes no other
/// process sends from the same account. The durable transaction manager replaces it later.</para>
/// </summary>
internal sealed class TransactionSender
{
    private static readonly SocketsHttpHandler SharedHandler = new() { PooledConnectionLifetime = TimeSpan.FromMinutes(5) };

    private readonly PrivateKey _key;
    private readonly BigInteger _chainId;
    private readonly EthereumAdjudicatorOptions _options;
    private readonly InMemoryNonceService _nonces;
    private readonly SemaphoreSlim _sendLock = new(1, 1);

    public TransactionSender(Web3 web3, PrivateKey key, ulong chainId, EthereumAdjudicatorOptions options)
    {
        Web3 = web3;
        _key = key;
        _chainId = chainId;
        _options = options;
        _nonces = new InMemoryNonceService(key.Address.ToString(), web3.Client);
    }

    /// <summary>The Nethereum client (RPC only; it holds no account).</summary>
    public Web3 Web3 { get; }

    /// <summary>The sending account.</summary>
    public EthAddress Account => _key.Address;

    /// <summary>Test hook: called with every confirmed successful receipt (operation name, receipt).</summary>
    public Action<string, TransactionReceipt>? Confirmed { get; set; }

    /// <summary>
    /// A Nethereum client whose requests time out after <paramref name="rpcTimeout"/>. All clients
    /// share one connection pool (connections recycled every few minutes, so DNS changes are seen);
    /// Nethereum's own time-out is a process-wide static, which we leave alone.
    /// </summary>
    public static Web3 CreateWeb3(Uri rpcUrl, TimeSpan rpcTimeout)
    {
        var http = new HttpClient(SharedHandler, disposeHandler: false) { Timeout = rpcTimeout };
        return new Web3(new RpcClient(rpcUrl, http));
    }

    /// <summary>
    /// Estimates, signs and sends a transaction, then waits until it is mined with the confirmation
    /// depth. Returns only a receipt with status 1; throws <see cref="ErrorCode.TransactionFailed"/>
    /// on a revert (at estimation or on chain), <see cref="ErrorCode.Timeout"/> when no confirmed
    /// receipt appears in time, <see cref="ErrorCode.ChainRpcFailure"/> when the node fails.
    /// Cancelling after the transaction was sent stops the wait, not the transaction.
    /// </summary>
    public async Task<TransactionReceipt> SendAsync(
        string operation, EthAddress? to, byte[] data, BigInteger value, CancellationToken cancellationToken)
    {
        var from = Account.ToString();
        var toHex = to?.ToString();
        var dataHex = AbiConvert.ToHex(data);

        // A revert here (the usual case: the contract refuses) is named from the revert data.
        var estimate = await RpcGuard.CallAsync(
            operation,
            () => Web3.Eth.Transactions.EstimateGas.SendRequestAsync(new CallInput
            {
                From = from,
                To = toHex,
                Data = dataHex,
                Value = new HexBigInteger(value),
            }),
            transaction: true,
            cancellationToken).ConfigureAwait(false);
        var gasLimit = estimate.Value * (100 + _options.GasLimitMarginPercent) / 100;

        var fee = await RpcGuard.CallAsync(
            "fee suggestion",
            () => new SimpleFeeSuggestionStrategy(Web3.Client).SuggestFeeAsync(),
            cancellationToken).ConfigureAwait(false);
        if (fee.MaxFeePerGas is not { } maxFee || fee.MaxPriorityFeePerGas is not { } priorityFee)
        {
            throw new StateChannelException(ErrorCode.ChainRpcFailure, "The node gave no EIP-1559 fee data (is it a pre-London chain?).");
        }

        string hash;
        BigInteger nonce;
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            nonce = (await RpcGuard.CallAsync("eth_getTransactionCount", _nonces.GetNextNonceAsync, cancellationToken).ConfigureAwait(false)).Value;
            string expectedHash;
            try
            {
                var tx = new Transaction1559(_chainId, nonce, priorityFee, maxFee, gasLimit, toHex, value, dataHex, null);
                Sign(tx);
                var raw = AbiConvert.ToHex(tx.GetRLPEncoded());
                expectedHash = AbiConvert.ToHex(tx.Hash);

                // Not cancellable: once signed, the transaction may reach the node; the wait below is.
                hash = await RpcGuard.CallAsync(
                    operation, () => Web3.Eth.Transactions.SendRawTransaction.SendRequestAsync(raw), transaction: true, CancellationToken.None)
                    .ConfigureAwait(false);
            }
            catch
            {
                // The nonce may be unused: forget the in-memory counter so the next send re-reads
                // the pending count instead of leaving a gap that would block every later transaction.
                await _nonces.ResetNonceAsync().ConfigureAwait(false);
                throw;
            }

            if (!string.Equals(hash, expectedHash, StringComparison.OrdinalIgnoreCase))
            {
                throw new StateChannelException(
                    ErrorCode.ChainRpcFailure, $"{operation}: the node returned transaction hash {hash}, expected {expectedHash}.");
            }
        }
        finally
        {
            _sendLock.Release();
        }

        Log.TransactionSent(_options.Logger, operation, hash, (ulong)nonce, (ulong)gasLimit);
        var receipt = await WaitForReceiptAsync(operation, hash, cancellationToken).ConfigureAwait(false);
        if (receipt.Status?.Value != BigInteger.One)
        {
            throw await ExplainFailureAsync(operation, hash, receipt, from, toHex, dataHex, value, gasLimit, cancellationToken).ConfigureAwait(false);
        }

        Log.TransactionConfirmed(_options.Logger, operation, hash, (ulong)receipt.BlockNumber.Value, (ulong)receipt.GasUsed.Value);
        Confirmed?.Invoke(operation, receipt);
        return receipt;
    }

    /// <summary>Signs with our key: Ethereum wants low-s and the y-parity (0/1) for typed transactions.</summary>
    private void Sign(Transaction1559 tx)
    {
        var signature = _key.Sign(Hash32.FromBytes(tx.RawHash));
        tx.SetSignature(new Nethereum.Model.Signature(
            TrimLeadingZeros(signature.R.ToArray()),
            TrimLeadingZeros(signature.S.ToArray()),
            signature.V == 27 ? [] : [1]));
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
    /// Polls for the receipt until it is <see cref="EthereumAdjudicatorOptions.ConfirmationDepth"/>
    /// blocks deep and its block is still the canonical one. A missing receipt is never success.
    /// </summary>
    private async Task<TransactionReceipt> WaitForReceiptAsync(string operation, string hash, CancellationToken cancellationToken)
    {
        var time = _options.TimeProvider;
        var started = time.GetTimestamp();
        var depth = _options.ConfirmationDepth;
        while (true)
        {
            var receipt = await GetReceiptAsync(hash, cancellationToken).ConfigureAwait(false);
            if (receipt is not null)
            {
                var head = await RpcGuard.CallAsync(
                    "eth_blockNumber", () => Web3.Eth.Blocks.GetBlockNumber.SendRequestAsync(), cancellationToken).ConfigureAwait(false);
                if (head.Value - receipt.BlockNumber.Value + 1 >= depth)
                {
                    if (depth == 1)
                    {
                        return receipt;
                    }

                    // Deep enough; make sure a reorg did not move it in the meantime.
                    var again = await GetReceiptAsync(hash, cancellationToken).ConfigureAwait(false);
                    if (again is not null && string.Equals(again.BlockHash, receipt.BlockHash, StringComparison.OrdinalIgnoreCase))
                    {
                        return again;
                    }
                }
            }

            if (time.GetElapsedTime(started) >= _options.ReceiptTimeout)
            {
                throw new StateChannelException(
                    ErrorCode.Timeout,
                    $"{operation}: transaction {hash} was not {(receipt is null ? "mined" : "confirmed")} within {_options.ReceiptTimeout}; it may still be mined.");
            }

            await Task.Delay(_options.PollInterval, time, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<TransactionReceipt?> GetReceiptAsync(string hash, CancellationToken cancellationToken)
    {
        var receipt = await RpcGuard.CallAsync(
            "eth_getTransactionReceipt",
            () => Web3.Eth.Transactions.GetTransactionReceipt.SendRequestAsync(hash),
            cancellationToken).ConfigureAwait(false);

        // Pending (or unknown) transactions have no receipt, or one without a block.
        return receipt?.BlockNumber is null || receipt.BlockHash is null ? null : receipt;
    }

    /// <summary>
    /// A mined transaction failed after passing estimation: usually because a transaction ahead of
    /// it in the same block changed the state (a rival deposit, a refutation). Replaying it with
    /// eth_call on the state at the end of its block recovers that revert reason. The replay is a
    /// best effort (it cannot see state that later blocks changed back); when it does not revert,
    /// the error is unnamed. Always returns a <see cref="ErrorCode.TransactionFailed"/> exception.
    /// </summary>
    private async Task<StateChannelException> ExplainFailureAsync(
        string operation, string hash, TransactionReceipt receipt, string from, string? to, string data, BigInteger value, BigInteger gas,
        CancellationToken cancellationToken)
    {
        var what = $"{operation} (transaction {hash}, block {receipt.BlockNumber.Value})";
        if (receipt.Status is null)
        {
            return new StateChannelException(ErrorCode.TransactionFailed, $"Reverted: {what} has a receipt without status; treated as failed.");
        }

        try
        {
            var block = new BlockParameter(receipt.BlockNumber);
            await RpcGuard.CallAsync(
                what,
                () => Web3.Eth.Transactions.Call.SendRequestAsync(
                    new CallInput { From = from, To = to, Data = data, Value = new HexBigInteger(value), Gas = new HexBigInteger(gas) },
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
