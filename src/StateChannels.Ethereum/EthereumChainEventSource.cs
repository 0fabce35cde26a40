using Nethereum.Hex.HexTypes;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.Web3;
using Polly;
using StateChannels.Ethereum.Internal;

namespace StateChannels.Ethereum;

/// <summary>
/// The chain-events port (<see cref="IChainEventSource"/>) on a deployed <c>contracts/src/Adjudicator.sol</c>:
/// <c>eth_getLogs</c> filtered by the adjudicator's address and its channel events' topics, and
/// <c>eth_getBlockByNumber</c> for heads and hashes. The confirmed block is the head minus
/// <see cref="EthereumAdjudicatorOptions.ConfirmationDepth"/> − 1, the same depth
/// <see cref="EthereumAdjudicator.GetChannelAsync"/> reads at.
/// <para>Every answer is checked: a log from another address, with an unknown or missing topic, a
/// missing block hash, number or log index, or outside the asked range, and a block without hash or
/// timestamp, all throw <see cref="StateChannelException"/> with <see cref="ErrorCode.ChainRpcFailure"/>
/// — never a partial result. Logs with <c>removed: true</c> are passed on flagged
/// (<see cref="AdjudicatorEvent.Removed"/>). Thread-safe and stateless.</para>
/// </summary>
public sealed class EthereumChainEventSource : IChainEventSource
{
    // Topic 0 of each channel event: keccak256 of the signature in contracts/src/Adjudicator.sol ("Events").
    private static readonly (AdjudicatorEventKind Kind, string Topic)[] Topics =
    [
        (AdjudicatorEventKind.Deposited, TopicOf("Deposited(bytes32,uint256,uint256)")),
        (AdjudicatorEventKind.Registered, TopicOf("Registered(bytes32,uint64,uint256,uint256,uint256)")),
        (AdjudicatorEventKind.Refuted, TopicOf("Refuted(bytes32,uint64,uint256,uint256,uint256)")),
        (AdjudicatorEventKind.Concluded, TopicOf("Concluded(bytes32,uint64,uint256,uint256)")),
        (AdjudicatorEventKind.PayoutCredited, TopicOf("PayoutCredited(bytes32,address,address,uint256)")),
    ];

    private readonly Web3 _web3;
    private readonly EthAddress _adjudicator;
    private readonly EthereumAdjudicatorOptions _options;
    private readonly ResiliencePipeline _pipeline; // retry with jitter, breaker, per-attempt timeout: these reads are idempotent

    /// <summary>Creates an event source without touching the network.</summary>
    /// <param name="rpcUrl">The node's JSON-RPC HTTP endpoint.</param>
    /// <param name="adjudicator">The adjudicator contract's address.</param>
    /// <param name="options">Settings (confirmation depth, RPC timeout); null for the defaults.</param>
    /// <exception cref="ArgumentNullException"><paramref name="rpcUrl"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public EthereumChainEventSource(Uri rpcUrl, EthAddress adjudicator, EthereumAdjudicatorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(rpcUrl);
        _options = (options ?? new EthereumAdjudicatorOptions()).ValidateAndCopy();
        _web3 = TransactionManager.CreateWeb3(rpcUrl, _options.RpcTimeout);
        _pipeline = RpcPipeline.Create(_options);
        _adjudicator = adjudicator;
    }

    /// <inheritdoc />
    /// <exception cref="StateChannelException">The node failed or answered a malformed block (<see cref="ErrorCode.ChainRpcFailure"/>).</exception>
    public async ValueTask<ChainHead> GetHeadAsync(CancellationToken cancellationToken = default)
    {
        var block = await RpcGuard.CallAsync(
            "eth_getBlockByNumber(latest)",
            _pipeline,
            () => _web3.Eth.Blocks.GetBlockWithTransactionsHashesByNumber.SendRequestAsync(BlockParameter.CreateLatest()),
            transaction: false,
            cancellationToken).ConfigureAwait(false);
        var head = ToBlock(block, null) ?? throw new StateChannelException(ErrorCode.ChainRpcFailure, "The node returned no latest block.");
        var depth = (ulong)_options.ConfirmationDepth - 1;
        return new ChainHead(head, head.Number > depth ? head.Number - depth : 0);
    }

    /// <inheritdoc />
    /// <exception cref="StateChannelException">The node failed or answered a malformed block (<see cref="ErrorCode.ChainRpcFailure"/>).</exception>
    public async ValueTask<ChainBlock?> GetBlockAsync(ulong number, CancellationToken cancellationToken = default)
    {
        var block = await RpcGuard.CallAsync(
            "eth_getBlockByNumber",
            _pipeline,
            () => _web3.Eth.Blocks.GetBlockWithTransactionsHashesByNumber.SendRequestAsync(new BlockParameter(new HexBigInteger(number))),
            transaction: false,
            cancellationToken).ConfigureAwait(false);
        return ToBlock(block, number);
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fromBlock"/> is above <paramref name="toBlock"/>.</exception>
    /// <exception cref="StateChannelException">The node failed or answered malformed logs (<see cref="ErrorCode.ChainRpcFailure"/>).</exception>
    public async ValueTask<IReadOnlyList<AdjudicatorEvent>> GetEventsAsync(ulong fromBlock, ulong toBlock, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(fromBlock, toBlock, nameof(fromBlock));
        var filter = new NewFilterInput
        {
            Address = [_adjudicator.ToString()],
            FromBlock = new BlockParameter(new HexBigInteger(fromBlock)),
            ToBlock = new BlockParameter(new HexBigInteger(toBlock)),
            Topics = [Topics.Select(t => (object)t.Topic).ToArray()],
        };
        var logs = await RpcGuard.CallAsync("eth_getLogs", _pipeline, () => _web3.Eth.Filters.GetLogs.SendRequestAsync(filter), transaction: false, cancellationToken)
            .ConfigureAwait(false)
            ?? throw new StateChannelException(ErrorCode.ChainRpcFailure, "eth_getLogs returned null.");
        var events = new List<AdjudicatorEvent>(logs.Length);
        foreach (var log in logs)
        {
            events.Add(ToEvent(log, fromBlock, toBlock));
        }

        return events.OrderBy(e => e.BlockNumber).ThenBy(e => e.LogIndex).ToList();
    }

    /// <summary>Converts and checks one log (internal for the malformed-answer tests).</summary>
    internal AdjudicatorEvent ToEvent(FilterLog? log, ulong fromBlock, ulong toBlock)
    {
        if (log is null)
        {
            throw Malformed("a null log");
        }

        if (log.Address is null || !EthAddress.TryParse(log.Address.ToLowerInvariant(), out var address) || address != _adjudicator)
        {
            throw Malformed($"a log of another contract ({log.Address})");
        }

        if (log.Topics is not { Length: >= 2 } topics)
        {
            throw Malformed("a log without a channel id topic");
        }

        var topic0 = topics[0]?.ToString()?.ToLowerInvariant();
        var kind = Topics.FirstOrDefault(t => t.Topic == topic0).Kind;
        if (kind == 0)
        {
            throw Malformed($"a log with an unknown event topic {topic0}");
        }

        var channel = HashOf(topics[1]?.ToString(), "channel id topic");
        var number = ToUInt64(log.BlockNumber, "block number");
        if (number < fromBlock || number > toBlock)
        {
            throw Malformed($"a log of block {number} for blocks {fromBlock}..{toBlock}");
        }

        var hash = HashOf(log.BlockHash, "block hash");
        var index = ToUInt64(log.LogIndex, "log index");
        return new AdjudicatorEvent(kind, ChannelId.FromHash32(channel), number, hash, index, log.Removed);
    }

    private static ChainBlock? ToBlock(BlockWithTransactionHashes? block, ulong? expected)
    {
        if (block is null)
        {
            return null;
        }

        var number = ToUInt64(block.Number, "block number");
        if (expected is { } n && number != n)
        {
            throw Malformed($"block {number} when asked for block {n}");
        }

        var timestamp = ToUInt64(block.Timestamp, "block timestamp");
        if (timestamp > (ulong)DateTimeOffset.MaxValue.ToUnixTimeSeconds())
        {
            throw Malformed("a block timestamp out of range");
        }

        return new ChainBlock(number, HashOf(block.BlockHash, "block hash"), HashOf(block.ParentHash, "parent hash"), DateTimeOffset.FromUnixTimeSeconds((long)timestamp));
    }

    private static ulong ToUInt64(HexBigInteger? value, string field) =>
        value?.Value is { } v && v.Sign >= 0 && v <= ulong.MaxValue ? (ulong)v : throw Malformed($"a missing or out-of-range {field}");

    private static Hash32 HashOf(string? hex, string field) =>
        hex is not null && Hash32.TryParse(hex, out var hash) ? hash : throw Malformed($"a malformed {field}");

    private static StateChannelException Malformed(string what) =>
        new(ErrorCode.ChainRpcFailure, $"The node answered {what}.");

    private static string TopicOf(string signature) =>
        "0x" + Convert.ToHexStringLower(Keccak.Hash(System.Text.Encoding.ASCII.GetBytes(signature)).ToArray());
}
