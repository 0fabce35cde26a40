using System.Numerics;
using Nethereum.ABI.FunctionEncoding;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Contracts;
using Nethereum.Hex.HexTypes;
using Nethereum.RPC.Eth.DTOs;
using StateChannels.Ethereum.Internal;
using AdjudicatorBindings = StateChannels.Ethereum.Bindings.Adjudicator;

namespace StateChannels.Ethereum;

/// <summary>
/// The chain port (<see cref="IAdjudicator"/>) on a deployed <c>contracts/src/Adjudicator.sol</c>,
/// through Nethereum's JSON-RPC client. Transactions are EIP-1559, sent from the account of the
/// <em>transaction key</em>: an on-chain key that pays gas and holds the funds being deposited,
/// separate from the channel signing key (F1) that signs states. The adjudicator does not own the
/// key; the caller keeps it alive while the adjudicator is used and disposes it.
/// <para>Every sending method returns only after its transaction is mined with status 1 and
/// buried <see cref="EthereumAdjudicatorOptions.ConfirmationDepth"/> deep. Failures throw
/// <see cref="StateChannelException"/>: <see cref="ErrorCode.TransactionFailed"/> when the contract
/// reverts (at estimation or on chain) — the message starts with the custom error's name, e.g.
/// <c>StaleVersion</c>, which is also in <see cref="Exception.Data"/> under
/// <see cref="RevertErrorDataKey"/> —, <see cref="ErrorCode.ChainRpcFailure"/> when the node fails or
/// answers nonsense, <see cref="ErrorCode.Timeout"/> when no confirmed receipt arrives within
/// <see cref="EthereumAdjudicatorOptions.ReceiptTimeout"/>. Cancelling a call after its transaction
/// was sent stops the wait, not the transaction.</para>
/// <para>Transactions (the transaction manager): every transaction is signed and written to the
/// <see cref="ITransactionJournal"/> under its operation's idempotency key (e.g. register of channel C at
/// version v) before it is broadcast. A call repeated after a time-out, a crash or a restart finds the
/// journaled transaction and re-broadcasts and awaits it instead of sending a second one; a confirmed
/// register, deposit, close or conclude answers a repeated call without a transaction (withdraw always
/// sends anew). Nonces are the larger of the node's pending count and our journal's, so they survive
/// restarts, a node that lost its mempool, and another wallet sending from the same account (its nonce
/// taken, ours is re-signed at a fresh one). A transaction unmined after
/// <see cref="EthereumAdjudicatorOptions.FeeBumpInterval"/> is replaced at the same nonce with fees 12.5%
/// higher, up to <see cref="EthereumAdjudicatorOptions.MaxFeePerGas"/>; a refutation (a register while a
/// dispute runs) carries the on-chain challenge deadline, and as it nears the replacements come faster
/// (a quarter of the chain time left) and larger (+50% within two intervals of it). Reads and broadcasts
/// run through a Polly pipeline (retry with jitter, circuit breaker, per-attempt time-out). Without a
/// journal the same happens in memory: nothing survives the instance.</para>
/// <para>Thread-safe. Use one journal per client; several instances may share it and an account.</para>
/// </summary>
public sealed partial class EthereumAdjudicator : IAdjudicator
{
    /// <summary>The <see cref="Exception.Data"/> key under which a revert's custom error name (e.g. <c>"StaleVersion"</c>) is stored.</summary>
    public const string RevertErrorDataKey = "StateChannels.RevertError";

    private readonly EthereumAdjudicatorOptions _options;
    private readonly string _address;

    /// <summary>
    /// Creates an adjudicator client without touching the network. Prefer
    /// <see cref="ConnectAsync"/>, which checks the chain id and the contract first.
    /// </summary>
    /// <param name="rpcUrl">The node's JSON-RPC HTTP endpoint.</param>
    /// <param name="domain">The chain id and adjudicator address; the chain id must be the node's.</param>
    /// <param name="transactionKey">The on-chain account's key (pays gas, funds deposits). Not the channel signing key. Not owned.</param>
    /// <param name="options">Settings; null for the defaults.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <param name="journal">
    /// Where transactions are journaled before broadcast (e.g. the client's <c>LiteDbChannelStore</c>);
    /// null keeps them in memory, so nothing survives this instance.
    /// </param>
    public EthereumAdjudicator(
        Uri rpcUrl, Eip712Domain domain, PrivateKey transactionKey, EthereumAdjudicatorOptions? options = null, ITransactionJournal? journal = null)
    {
        ArgumentNullException.ThrowIfNull(rpcUrl);
        ArgumentNullException.ThrowIfNull(domain);
        ArgumentNullException.ThrowIfNull(transactionKey);
        _options = (options ?? new EthereumAdjudicatorOptions()).ValidateAndCopy();
        Domain = domain;
        _address = domain.Adjudicator.ToString();
        Transactions = new TransactionManager(
            TransactionManager.CreateWeb3(rpcUrl, _options.RpcTimeout), transactionKey, domain.ChainId, _options, journal);
    }

    /// <inheritdoc />
    public Eip712Domain Domain { get; }

    /// <summary>The on-chain account that sends the transactions (the transaction key's address).</summary>
    public EthAddress Account => Transactions.Account;

    /// <summary>Sends and confirms this instance's transactions; internal for tests.</summary>
    internal TransactionManager Transactions { get; }

    /// <summary>
    /// Connects to a deployed adjudicator: reads the node's chain id and checks that the contract at
    /// <paramref name="adjudicator"/> has the EIP-712 domain separator we compute for it.
    /// </summary>
    /// <param name="rpcUrl">The node's JSON-RPC HTTP endpoint.</param>
    /// <param name="adjudicator">The adjudicator contract's address.</param>
    /// <param name="transactionKey">The on-chain account's key. Not the channel signing key. Not owned.</param>
    /// <param name="options">Settings; null for the defaults.</param>
    /// <param name="journal">Where transactions are journaled before broadcast; null keeps them in memory (see the class remarks).</param>
    /// <param name="cancellationToken">Cancels the checks.</param>
    /// <returns>The connected adjudicator.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="adjudicator"/> is the zero address.</exception>
    /// <exception cref="StateChannelException">
    /// The node fails, or there is no StateChannels adjudicator at the address on this chain (<see cref="ErrorCode.ChainRpcFailure"/>).
    /// </exception>
    public static async Task<EthereumAdjudicator> ConnectAsync(
        Uri rpcUrl, EthAddress adjudicator, PrivateKey transactionKey, EthereumAdjudicatorOptions? options = null,
        ITransactionJournal? journal = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rpcUrl);
        ArgumentNullException.ThrowIfNull(transactionKey);
        var validated = (options ?? new EthereumAdjudicatorOptions()).ValidateAndCopy();
        var chainId = await ReadChainIdAsync(TransactionManager.CreateWeb3(rpcUrl, validated.RpcTimeout), validated, cancellationToken).ConfigureAwait(false);
        var result = new EthereumAdjudicator(rpcUrl, new Eip712Domain(chainId, adjudicator), transactionKey, validated, journal);
        byte[] separator;
        try
        {
            separator = await result.QueryAsync<AdjudicatorBindings.DomainSeparatorFunction, byte[]>(
                "Adjudicator.domainSeparator", new(), BlockParameter.CreateLatest(), cancellationToken).ConfigureAwait(false);
        }
        catch (StateChannelException e) when (e.Code == ErrorCode.TransactionFailed)
        {
            // A revert: there is code at the address, but not ours (or none: calls to an empty account return 0x).
            throw new StateChannelException(ErrorCode.ChainRpcFailure, $"No StateChannels adjudicator at {adjudicator} on chain {chainId}.", e);
        }

        var onChain = separator is { Length: Hash32.Length } ? Hash32.FromBytes(separator) : Hash32.Zero;
        if (onChain != result.Domain.StateDomainSeparator)
        {
            throw new StateChannelException(
                ErrorCode.ChainRpcFailure,
                $"The contract at {adjudicator} on chain {chainId} has another EIP-712 domain: not a StateChannels adjudicator of this version.");
        }

        return result;
    }

    /// <summary>
    /// Deploys a new adjudicator (the bytecode of the committed <c>contracts/artifacts/Adjudicator.bin</c>)
    /// from the transaction key's account and waits for the confirmed receipt.
    /// </summary>
    /// <param name="rpcUrl">The node's JSON-RPC HTTP endpoint.</param>
    /// <param name="transactionKey">The deploying account's key; it pays the gas. Not owned.</param>
    /// <param name="options">Settings; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the deployment's wait (the transaction may still be mined).</param>
    /// <returns>The new contract's address.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="StateChannelException">
    /// The deployment failed (<see cref="ErrorCode.TransactionFailed"/>), the node failed
    /// (<see cref="ErrorCode.ChainRpcFailure"/>), or no receipt in time (<see cref="ErrorCode.Timeout"/>).
    /// </exception>
    public static async Task<EthAddress> DeployAsync(
        Uri rpcUrl, PrivateKey transactionKey, EthereumAdjudicatorOptions? options = null, CancellationToken cancellationToken = default)
    {
        var validated = (options ?? new EthereumAdjudicatorOptions()).ValidateAndCopy();
        var (address, chainId) = await DeployContractAsync(
            rpcUrl, transactionKey, new AdjudicatorBindings.AdjudicatorDeployment(), "Adjudicator deployment", validated, cancellationToken)
            .ConfigureAwait(false);
        Internal.Log.AdjudicatorDeployed(validated.Logger, address.ToString(), chainId);
        return address;
    }

    /// <summary>Deploys any generated contract (e.g. the test token) and returns its address and the chain id.</summary>
    internal static async Task<(EthAddress Address, ulong ChainId)> DeployContractAsync<TDeployment>(
        Uri rpcUrl, PrivateKey transactionKey, TDeployment deployment, string operation, EthereumAdjudicatorOptions validatedOptions,
        CancellationToken cancellationToken)
        where TDeployment : ContractDeploymentMessage, new()
    {
        ArgumentNullException.ThrowIfNull(rpcUrl);
        ArgumentNullException.ThrowIfNull(transactionKey);
        var web3 = TransactionManager.CreateWeb3(rpcUrl, validatedOptions.RpcTimeout);
        var chainId = await ReadChainIdAsync(web3, validatedOptions, cancellationToken).ConfigureAwait(false);
        var sender = new TransactionManager(web3, transactionKey, chainId, validatedOptions, journal: null);
        var receipt = await sender.SendAsync(operation, to: null, deployment.GetDeploymentData(), BigInteger.Zero, cancellationToken)
            .ConfigureAwait(false);
        var address = AbiConvert.ToAddress(receipt.ContractAddress, "contract address");
        var code = await sender.CallAsync(
            "eth_getCode", () => web3.Eth.GetCode.SendRequestAsync(address.ToString(), new BlockParameter(receipt.BlockNumber)), cancellationToken)
            .ConfigureAwait(false);
        if (string.IsNullOrEmpty(code) || code is "0x" or "0x0")
        {
            throw new StateChannelException(ErrorCode.TransactionFailed, $"{operation}: no code at {address} after the deployment.");
        }

        return (address, chainId);
    }

    private static async Task<ulong> ReadChainIdAsync(Nethereum.Web3.Web3 web3, EthereumAdjudicatorOptions validatedOptions, CancellationToken cancellationToken)
    {
        var chainId = await RpcGuard.CallAsync(
            "eth_chainId",
            RpcPipeline.Create(validatedOptions),
            async () => { var c = await web3.Eth.ChainId.SendRequestAsync().ConfigureAwait(false); return RpcGuard.Parsed(c, c); },
            transaction: false,
            cancellationToken)
            .ConfigureAwait(false);
        if (chainId?.Value is not { } value || value.Sign <= 0 || value > ulong.MaxValue)
        {
            throw new StateChannelException(ErrorCode.ChainRpcFailure, "The node returned an invalid chain id.");
        }

        return (ulong)value;
    }

    /// <summary>Calls a view of the adjudicator at <paramref name="block"/> and decodes a single (one-word) return value.</summary>
    internal async Task<TResult> QueryAsync<TFunction, TResult>(string what, TFunction function, BlockParameter block, CancellationToken cancellationToken)
        where TFunction : FunctionMessage, new()
    {
        var output = await CallViewAsync(what, function, words: 1, block, cancellationToken).ConfigureAwait(false);
        return Decode(what, () => new FunctionCallDecoder().DecodeSimpleTypeOutput<TResult>(
            ABITypedRegistry.GetFunctionABI<TFunction>().OutputParameters[0], output));
    }

    /// <summary>Calls a view of the adjudicator at <paramref name="block"/> and decodes its (static) outputs.</summary>
    internal async Task<TOutput> QueryDtoAsync<TFunction, TOutput>(string what, TFunction function, BlockParameter block, CancellationToken cancellationToken)
        where TFunction : FunctionMessage, new()
        where TOutput : IFunctionOutputDTO, new()
    {
        var words = typeof(TOutput).GetProperties().Count(p => p.IsDefined(typeof(ParameterAttribute), inherit: true));
        var output = await CallViewAsync(what, function, words, block, cancellationToken).ConfigureAwait(false);
        return Decode(what, () => new FunctionCallDecoder().DecodeFunctionOutput<TOutput>(output));
    }

    /// <summary>
    /// eth_call of a view; the raw answer must hold at least <paramref name="words"/> ABI words, so a node
    /// answering short or empty data (no contract, garbage) fails instead of decoding to zeros.
    /// </summary>
    private async Task<string> CallViewAsync<TFunction>(string what, TFunction function, int words, BlockParameter block, CancellationToken cancellationToken)
        where TFunction : FunctionMessage, new()
    {
        var input = new CallInput { To = _address, Data = AbiConvert.ToHex(function.GetCallData()) };
        var output = await Transactions.CallAsync(
            what, () => Transactions.Web3.Eth.Transactions.Call.SendRequestAsync(input, block), cancellationToken).ConfigureAwait(false);
        var hexDigits = output is { Length: >= 2 } && output.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? output.Length - 2 : -1;
        if (hexDigits < words * 64 || hexDigits % 64 != 0)
        {
            throw new StateChannelException(
                ErrorCode.ChainRpcFailure, $"{what}: the node answered {Math.Max(hexDigits, 0) / 2} bytes where the view returns {words * 32}.");
        }

        return output!;
    }

    private static T Decode<T>(string what, Func<T> decode)
    {
        try
        {
            return decode();
        }
        catch (Exception e) when (e is not StateChannelException and not OperationCanceledException)
        {
            throw new StateChannelException(ErrorCode.ChainRpcFailure, $"{what}: the node's answer does not decode: {e.Message}", e);
        }
    }

    /// <summary>The newest block that is <see cref="EthereumAdjudicatorOptions.ConfirmationDepth"/> deep (the head when the depth is 1).</summary>
    private async Task<BlockParameter> ConfirmedBlockAsync(CancellationToken cancellationToken)
    {
        var head = await Transactions.CallAsync(
            "eth_blockNumber",
            async () => { var n = await Transactions.Web3.Eth.Blocks.GetBlockNumber.SendRequestAsync().ConfigureAwait(false); return RpcGuard.Parsed(n, n); },
            cancellationToken).ConfigureAwait(false);
        var block = BigInteger.Max(BigInteger.Zero, head.Value - (_options.ConfirmationDepth - 1));
        return new BlockParameter(new HexBigInteger(block));
    }
}
