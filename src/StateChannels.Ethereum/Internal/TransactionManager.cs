using System.Collections.Concurrent;
using System.Globalization;
using System.Numerics;
using Nethereum.JsonRpc.Client;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.Web3;
using Polly;
using StateChannels.Protocol;

namespace StateChannels.Ethereum.Internal;

/// <summary>
/// Sends EIP-1559 transactions from one account, durably: every transaction is signed and written to
/// the <see cref="ITransactionJournal"/> under its operation's idempotency key <em>before</em> it is
/// broadcast, so a restarted process (or a retried call) re-broadcasts the same signed bytes and waits
/// for their receipt instead of creating a second transaction.
/// <para>Nonces: the larger of the node's pending transaction count and one past the highest nonce of
/// our own unmined journal records (which survive a node that lost its mempool); when another wallet
/// used our nonce first ("nonce too low" while none of our attempts is mined) the operation is re-signed
/// at a fresh nonce, journaled again. Nonce allocation is serialized per chain and account across the
/// process, so several adjudicators of one account in one process do not collide.</para>
/// <para>Fees: <see cref="FeePolicy"/>; a transaction unmined after the bump interval is replaced at the
/// same nonce with higher fees (every attempt stays in the record: any of them may be the one mined).</para>
/// <para>RPC: every request is idempotent and runs through <see cref="RpcPipeline"/>; while waiting for a
/// receipt, failures are logged and polling goes on until the receipt time-out, re-broadcasting the
/// transaction whenever the node does not know it (e.g. after a restart that lost its mempool).</para>
/// </summary>
internal sealed partial class TransactionManager
{
    private const int MaxResigns = 5;
    private static readonly SocketsHttpHandler SharedHandler = new() { PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> AccountLocks = new(StringComparer.Ordinal);

    private readonly PrivateKey _key;
    private readonly BigInteger _chainId;
    private readonly EthereumAdjudicatorOptions _options;
    private readonly ITransactionJournal _journal;
    private readonly string _prefix;
    private readonly SemaphoreSlim _accountLock;

    // One lock per journaled operation, process-wide (keyed with the chain and account prefix): the
    // record of an operation has one writer at a time, whichever adjudicator instance runs it. A
    // key's lock lives only while held or awaited (one per transaction ever sent would add up).
    private static readonly KeyedLocks KeyLocks = new();

    public TransactionManager(Web3 web3, PrivateKey key, ulong chainId, EthereumAdjudicatorOptions options, ITransactionJournal? journal)
    {
        Web3 = web3;
        _key = key;
        _chainId = chainId;
        _options = options;
        IsDurable = journal is not null;
        _journal = journal ?? new InMemoryJournal();
        var account = key.Address.ToString().ToLowerInvariant();
        _prefix = string.Create(CultureInfo.InvariantCulture, $"eth-tx/{chainId}/{account}/");
        _accountLock = AccountLocks.GetOrAdd(_prefix, _ => new SemaphoreSlim(1, 1));
        Pipeline = RpcPipeline.Create(options);
    }

    /// <summary>The Nethereum client (RPC only; it holds no account).</summary>
    public Web3 Web3 { get; }

    /// <summary>The resilience pipeline for this manager's (idempotent) requests.</summary>
    public ResiliencePipeline Pipeline { get; }

    /// <summary>The sending account.</summary>
    public EthAddress Account => _key.Address;

    /// <summary>Whether the journal survives the process (one was given), rather than the in-memory default.</summary>
    public bool IsDurable { get; }

    /// <summary>Test hook: called with every confirmed successful receipt (operation name, receipt).</summary>
    public Action<string, TransactionReceipt>? Confirmed { get; set; }

    /// <summary>Test hook: called with every attempt after it is journaled and before it is broadcast (operation, attempt).</summary>
    public Action<string, TxAttempt>? Signed { get; set; }

    /// <summary>
    /// Signs an off-chain typed-data digest (an EIP-2612 permit) with the account's key: the key never
    /// leaves this class. The caller must have built the digest itself; it is signed as given.
    /// </summary>
    public Signature SignDigest(Hash32 digest) => _key.Sign(digest);

    /// <summary>
    /// A Nethereum client whose requests time out after <paramref name="rpcTimeout"/>. All clients
    /// share one connection pool (connections recycled every few minutes, so DNS changes are seen);
    /// Nethereum's own time-out is a process-wide static, which we leave alone (and release after
    /// each request: <see cref="TimelyRpcClient"/>).
    /// </summary>
    public static Web3 CreateWeb3(Uri rpcUrl, TimeSpan rpcTimeout)
    {
        var http = new HttpClient(SharedHandler, disposeHandler: false) { Timeout = rpcTimeout };
        return new Web3(new TimelyRpcClient(rpcUrl, http));
    }

    /// <summary>Runs an idempotent request through the pipeline, with the SDK's exception mapping.</summary>
    public Task<T> CallAsync<T>(string what, Func<Task<T>> request, CancellationToken cancellationToken) =>
        RpcGuard.CallAsync(what, Pipeline, request, transaction: false, cancellationToken);

    /// <summary>
    /// Sends a call identified only by its content (the key is a hash of callee, data and value; not
    /// one-shot): for deployments and test helpers.
    /// </summary>
    public Task<TransactionReceipt> SendAsync(string operation, EthAddress? to, byte[] data, BigInteger value, CancellationToken cancellationToken)
    {
        var content = Keccak.Hash([.. to?.ToArray() ?? [], .. data, .. value.ToByteArray(isUnsigned: true, isBigEndian: true)]);
        var key = string.Create(CultureInfo.InvariantCulture, $"{operation}/{content.ToString()[2..18]}");
        return SendAsync(new TxRequest(operation, key, OneShot: false, to, data, value), cancellationToken);
    }

    /// <summary>
    /// Sends the operation — or resumes its journaled transaction — and waits until it is mined with
    /// the confirmation depth. Returns only a receipt with status 1; throws
    /// <see cref="ErrorCode.TransactionFailed"/> on a revert (at estimation or on chain) or a refusal by
    /// the node, <see cref="ErrorCode.Timeout"/> when no confirmed receipt appears in time (the record
    /// stays pending: a later call with the same key resumes it), <see cref="ErrorCode.ChainRpcFailure"/>
    /// when the node fails, <see cref="ErrorCode.StorageFailure"/> when the journal does. Cancelling after
    /// the transaction was signed stops the wait, not the transaction.
    /// </summary>
    public async Task<TransactionReceipt> SendAsync(TxRequest request, CancellationToken cancellationToken)
    {
        request = request with { Key = FitKey(_prefix, request.Key) };
        var gate = await KeyLocks.LockAsync(_prefix + request.Key, cancellationToken).ConfigureAwait(false);
        try
        {
            var record = await LoadAsync(_prefix + request.Key, cancellationToken).ConfigureAwait(false);
            if (record is not null && record.To != request.To)
            {
                throw new InvalidOperationException(
                    $"{request.Operation}: the idempotency key {request.Key} is journaled for a call to {record.To}, not {request.To}.");
            }

            if (record is { Status: TxStatus.Pending } || (record is { Status: TxStatus.Confirmed } && request.OneShot))
            {
                Log.Resuming(_options.Logger, request.Operation, record.Latest.Hash.ToString(), record.Latest.Nonce, record.Status.ToString());
                if (request.Deadline is not null && record.Deadline != request.Deadline)
                {
                    record = record with { Deadline = request.Deadline };
                }

                return await WaitAsync(record, cancellationToken).ConfigureAwait(false);
            }

            record = await CreateAsync(request, cancellationToken).ConfigureAwait(false);
            CrashPoints.Hit(CrashPoints.TxBroadcast);
            return await WaitAsync(record, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            gate.Dispose();
        }
    }

    /// <summary>
    /// The key as journaled: unchanged when it fits <see cref="ITransactionJournal.MaxKeyLength"/> with our
    /// prefix, else its readable start and the Keccak-256 of the whole key (e.g. a deposit of a huge amount).
    /// </summary>
    internal static string FitKey(string prefix, string key)
    {
        if (prefix.Length + key.Length <= ITransactionJournal.MaxKeyLength)
        {
            return key;
        }

        var hash = Keccak.Hash(System.Text.Encoding.UTF8.GetBytes(key)).ToString();
        var room = ITransactionJournal.MaxKeyLength - prefix.Length - hash.Length - 1;
        return string.Concat(key.AsSpan(0, Math.Max(0, Math.Min(room, key.Length))), "#", hash);
    }

    /// <summary>Estimates, prices, takes a nonce, signs, journals and broadcasts a new transaction.</summary>
    private async Task<TxRecord> CreateAsync(TxRequest request, CancellationToken cancellationToken)
    {
        var from = Account.ToString();
        var toHex = request.To?.ToString();
        var dataHex = AbiConvert.ToHex(request.Data);

        // A revert here (the usual case: the contract refuses) is named from the revert data.
        var estimate = await RpcGuard.CallAsync(
            request.Operation,
            Pipeline,
            async () =>
            {
                var e = await Web3.Eth.Transactions.EstimateGas.SendRequestAsync(new CallInput
                {
                    From = from,
                    To = toHex,
                    Data = dataHex,
                    Value = new Nethereum.Hex.HexTypes.HexBigInteger(request.Value),
                }).ConfigureAwait(false);
                return RpcGuard.Parsed(e, e);
            },
            transaction: true,
            cancellationToken).ConfigureAwait(false);
        if (estimate?.Value is not { Sign: > 0 } gas || gas > 100_000_000)
        {
            throw new StateChannelException(ErrorCode.ChainRpcFailure, $"{request.Operation}: the node returned an invalid gas estimate.");
        }

        var gasLimit = gas * (100 + _options.GasLimitMarginPercent) / 100;
        var (fees, _) = await SuggestFeesAsync(cancellationToken).ConfigureAwait(false);

        await _accountLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var nonce = await NextNonceAsync(request.Key, cancellationToken).ConfigureAwait(false);
            for (var tries = 0; ; tries++)
            {
                var attempt = Sign(nonce, fees, gasLimit, request.To, request.Value, request.Data);
                var record = new TxRecord
                {
                    Key = request.Key,
                    Operation = request.Operation,
                    Status = TxStatus.Pending,
                    To = request.To,
                    Value = request.Value,
                    Data = request.Data,
                    GasLimit = gasLimit,
                    Deadline = request.Deadline,
                    Attempts = [attempt],
                };

                // Durable before it can reach any node: from here on, this operation is resumed, never re-created.
                await SaveAsync(record).ConfigureAwait(false);
                Signed?.Invoke(request.Operation, attempt);
                CrashPoints.Hit(CrashPoints.TxJournaled);
                var outcome = await BroadcastAsync(request.Operation, attempt).ConfigureAwait(false);
                switch (outcome.Kind)
                {
                    case BroadcastKind.Accepted:
                    case BroadcastKind.Unknown:
                        Log.TransactionSent(_options.Logger, request.Operation, attempt.Hash.ToString(), nonce, (ulong)gasLimit);
                        return record;
                    case BroadcastKind.FeeTooLow when tries < MaxResigns:
                        // The base fee rose between our suggestion and the broadcast: the refused
                        // transaction cannot be mined, so the record is overwritten with a higher bid.
                        fees = FeePolicy.Bump(fees, (await SuggestFeesAsync(cancellationToken).ConfigureAwait(false)).Fees, null,
                            _options.FeeBumpInterval, _options.MaxFeePerGas.ToBigInteger()) ?? fees;
                        continue;
                    case BroadcastKind.NonceTooLow:
                    case BroadcastKind.Underpriced:
                        // Another wallet took this nonce between our count and our broadcast: the refused
                        // transaction cannot be mined, so the record is simply overwritten at a fresh nonce.
                        if (tries >= MaxResigns)
                        {
                            throw new StateChannelException(
                                ErrorCode.ChainRpcFailure, $"{request.Operation}: the node refused {MaxResigns + 1} nonces in a row ({outcome.Message}).");
                        }

                        var taken = nonce;
                        nonce = ulong.Max(nonce + 1, await PendingCountAsync(cancellationToken).ConfigureAwait(false));
                        Log.NonceTaken(_options.Logger, request.Operation, taken, nonce);
                        continue;
                    default:
                        await SaveAsync(record with { Status = TxStatus.Failed }).ConfigureAwait(false);
                        throw Rejected(request.Operation, outcome.Message);
                }
            }
        }
        finally
        {
            _accountLock.Release();
        }
    }

    /// <summary>
    /// The next nonce to use: the node's pending count, or one past our highest unmined journaled
    /// nonce if that is higher. Unmined records the node does not know (it restarted without its
    /// mempool) are re-broadcast on the way, so they do not leave a gap that would block this one.
    /// </summary>
    private async Task<ulong> NextNonceAsync(string exceptKey, CancellationToken cancellationToken)
    {
        var next = await PendingCountAsync(cancellationToken).ConfigureAwait(false);
        var mined = await TransactionCountAsync(BlockParameter.CreateLatest(), cancellationToken).ConfigureAwait(false);
        await foreach (var entry in _journal.GetEntriesAsync(_prefix, cancellationToken).ConfigureAwait(false))
        {
            var record = TxRecordCodec.Decode(entry.Value, entry.Key[_prefix.Length..]);
            if (record.Status != TxStatus.Pending || record.Key == exceptKey || record.Latest.Nonce < mined)
            {
                continue;
            }

            if (await IsKnownAsync(record.Latest.Hash, cancellationToken).ConfigureAwait(false)
                || (await BroadcastAsync(record.Operation, record.Latest).ConfigureAwait(false)).Kind is BroadcastKind.Accepted or BroadcastKind.Unknown)
            {
                next = ulong.Max(next, record.Latest.Nonce + 1);
            }
        }

        return next;
    }

    private Task<ulong> PendingCountAsync(CancellationToken cancellationToken) =>
        TransactionCountAsync(BlockParameter.CreatePending(), cancellationToken);

    private async Task<ulong> TransactionCountAsync(BlockParameter block, CancellationToken cancellationToken)
    {
        var count = await CallAsync(
            "eth_getTransactionCount",
            async () =>
            {
                var c = await Web3.Eth.Transactions.GetTransactionCount.SendRequestAsync(Account.ToString(), block).ConfigureAwait(false);
                return RpcGuard.Parsed(c, c);
            },
            cancellationToken).ConfigureAwait(false);
        if (count?.Value is not { Sign: >= 0 } value || value > long.MaxValue)
        {
            throw new StateChannelException(ErrorCode.ChainRpcFailure, "eth_getTransactionCount returned an invalid count.");
        }

        return (ulong)value;
    }

    private async Task<TxRecord?> LoadAsync(string fullKey, CancellationToken cancellationToken)
    {
        var bytes = await _journal.GetEntryAsync(fullKey, cancellationToken).ConfigureAwait(false);
        return bytes is null ? null : TxRecordCodec.Decode(bytes, fullKey[_prefix.Length..]);
    }

    /// <summary>Durably writes a record; not cancellable (it must land before the broadcast it precedes, or record an outcome).</summary>
    private async Task SaveAsync(TxRecord record) =>
        await _journal.PutEntryAsync(_prefix + record.Key, TxRecordCodec.Encode(record), CancellationToken.None).ConfigureAwait(false);

    private static StateChannelException Rejected(string operation, string? reason)
    {
        var exception = new StateChannelException(
            ErrorCode.TransactionFailed, $"Rejected: {operation}: the node refused the transaction: {reason}");
        exception.Data[EthereumAdjudicator.RevertErrorDataKey] = "Rejected";
        return exception;
    }
}
