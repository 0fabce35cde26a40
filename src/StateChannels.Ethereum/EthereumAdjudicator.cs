using System.Numerics;
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
/// <c>UnexpectedHeld</c>, which is also in <see cref="Exception.Data"/> under
/// <see cref="RevertErrorDataKey"/> —, <see cref="ErrorCode.ChainRpcFailure"/> when the node fails or
/// answers nonsense, <see cref="ErrorCode.Timeout"/> when no confirmed receipt arrives within
/// <see cref="EthereumAdjudicatorOptions.ReceiptTimeout"/>. Cancelling a call after its transaction
/// was sent stops the wait, not the transaction.</para>
/// <para>Thread-safe. Nonces are kept in memory (Nethereum's in-memory nonce service): use one
/// instance per transaction account and process; it does not survive restarts and does not bump
/// fees (the durable transaction manager will).</para>
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
    public EthereumAdjudicator(Uri rpcUrl, Eip712Domain domain, PrivateKey transactionKey, EthereumAdjudicatorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(rpcUrl);
        ArgumentNullException.ThrowIfNull(domain);
        ArgumentNullException.ThrowIfNull(transactionKey);
        _options = (options ?? new EthereumAdjudicatorOptions()).ValidateAndCopy();
        Domain = domain;
        _address = domain.Adjudicator.ToString();
        Sender = new TransactionSender(
            TransactionSender.CreateWeb3(rpcUrl, _options.RpcTimeout), transactionKey, domain.ChainId, _options);
    }

    /// <inheritdoc />
    public Eip712Domain Domain { get; }

    /// <summary>The on-chain account that sends the transactions (the transaction key's address).</summary>
    public EthAddress Account => Sender.Account;

    /// <summary>Sends and confirms this instance's transactions; internal for tests.</summary>
    internal TransactionSender Sender { get; }

    /// <summary>
    /// Connects to a deployed adjudicator: reads the node's chain id and checks that the contract at
    /// <paramref name="adjudicator"/> has the EIP-712 domain separator we compute for it.
    /// </summary>
    /// <param name="rpcUrl">The node's JSON-RPC HTTP endpoint.</param>
    /// <param name="adjudicator">The adjudicator contract's address.</param>
    /// <param name="transactionKey">The on-chain account's key. Not the channel signing key. Not owned.</param>
    /// <param name="options">Settings; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the checks.</param>
    /// <returns>The connected adjudicator.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="adjudicator"/> is the zero address.</exception>
    /// <exception cref="StateChannelException">
    /// The node fails, or there is no StateChannels adjudicator at the address on this chain (<see cref="ErrorCode.ChainRpcFailure"/>).
    /// </exception>
    public static async Task<EthereumAdjudicator> ConnectAsync(
        Uri rpcUrl, EthAddress adjudicator, PrivateKey transactionKey, EthereumAdjudicatorOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rpcUrl);
        ArgumentNullException.ThrowIfNull(transactionKey);
        var validated = (options ?? new EthereumAdjudicatorOptions()).ValidateAndCopy();
        var chainId = await ReadChainIdAsync(TransactionSender.CreateWeb3(rpcUrl, validated.RpcTimeout), cancellationToken).ConfigureAwait(false);
        var result = new EthereumAdjudicator(rpcUrl, new Eip712Domain(chainId, adjudicator), transactionKey, validated);
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
        Log.AdjudicatorDeployed(validated.Logger, address.ToString(), chainId);
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
        var web3 = TransactionSender.CreateWeb3(rpcUrl, validatedOptions.RpcTimeout);
        var chainId = await ReadChainIdAsync(web3, cancellationToken).ConfigureAwait(false);
        var sender = new TransactionSender(web3, transactionKey, chainId, validatedOptions);
        var receipt = await sender.SendAsync(operation, to: null, deployment.GetDeploymentData(), BigInteger.Zero, cancellationToken)
            .ConfigureAwait(false);
        var address = AbiConvert.ToAddress(receipt.ContractAddress, "contract address");
        var code = await RpcGuard.CallAsync(
            "eth_getCode", () => web3.Eth.GetCode.SendRequestAsync(address.ToString(), new BlockParameter(receipt.BlockNumber)), cancellationToken)
            .ConfigureAwait(false);
        if (string.IsNullOrEmpty(code) || code is "0x" or "0x0")
        {
            throw new StateChannelException(ErrorCode.TransactionFailed, $"{operation}: no code at {address} after the deployment.");
        }

        return (address, chainId);
    }

    private static async Task<ulong> ReadChainIdAsync(Nethereum.Web3.Web3 web3, CancellationToken cancellationToken)
    {
        var chainId = await RpcGuard.CallAsync("eth_chainId", () => web3.Eth.ChainId.SendRequestAsync(), cancellationToken).ConfigureAwait(false);
        if (chainId?.Value is not { } value || value.Sign <= 0 || value > ulong.MaxValue)
        {
            throw new StateChannelException(ErrorCode.ChainRpcFailure, "The node returned an invalid chain id.");
        }

        return (ulong)value;
    }

    /// <summary>Calls a view of the adjudicator at <paramref name="block"/> and decodes a single return value.</summary>
    internal Task<TResult> QueryAsync<TFunction, TResult>(string what, TFunction function, BlockParameter block, CancellationToken cancellationToken)
        where TFunction : FunctionMessage, new() =>
        RpcGuard.CallAsync(
            what,
            () => Sender.Web3.Eth.GetContractQueryHandler<TFunction>().QueryAsync<TResult>(_address, function, block),
            cancellationToken);

    /// <summary>Calls a view of the adjudicator at <paramref name="block"/> and decodes its outputs.</summary>
    internal Task<TOutput> QueryDtoAsync<TFunction, TOutput>(string what, TFunction function, BlockParameter block, CancellationToken cancellationToken)
        where TFunction : FunctionMessage, new()
        where TOutput : IFunctionOutputDTO, new() =>
        RpcGuard.CallAsync(
            what,
            () => Sender.Web3.Eth.GetContractQueryHandler<TFunction>().QueryDeserializingToObjectAsync<TOutput>(function, _address, block),
            cancellationToken);

    /// <summary>The newest block that is <see cref="EthereumAdjudicatorOptions.ConfirmationDepth"/> deep (the head when the depth is 1).</summary>
    private async Task<BlockParameter> ConfirmedBlockAsync(CancellationToken cancellationToken)
    {
        var head = await RpcGuard.CallAsync(
            "eth_blockNumber", () => Sender.Web3.Eth.Blocks.GetBlockNumber.SendRequestAsync(), cancellationToken).ConfigureAwait(false);
        var block = BigInteger.Max(BigInteger.Zero, head.Value - (_options.ConfirmationDepth - 1));
        return new BlockParameter(new HexBigInteger(block));
    }
}
