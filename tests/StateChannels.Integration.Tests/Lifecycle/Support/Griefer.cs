using System.Collections.Concurrent;
using System.Numerics;
using System.Text;
using System.Text.Json.Nodes;
using StateChannels.Ethereum;

namespace StateChannels.Integration.Tests.Lifecycle.Support;

/// <summary>
/// A third party that front-runs every deposit of a victim (THREATS G4): its own funded anvil account
/// and <see cref="EthereumAdjudicator"/>, depositing for the victim's participant index just before
/// the victim's own deposit lands. <see cref="Wrap"/> gives the decorator a party's client uses: either
/// the griefer's deposit is mined first and the victim's call forwarded after it, or
/// (<c>sameBlock</c>) the victim's transaction is estimated, signed and sent first and the griefer's
/// outbids it into the same block, as a mempool front-runner does.
/// </summary>
public sealed class Griefer : IAsyncDisposable
{
    private readonly SemaphoreSlim _one = new(1, 1);
    private readonly ConcurrentDictionary<(ChannelId Channel, int Index), BigInteger> _landed = new();
    private int _attempts;
    private int _sameBlock;

    private readonly LifecycleChain _node;

    private Griefer(LifecycleChain node, PrivateKey key, EthereumAdjudicator chain)
    {
        _node = node;
        Key = key;
        Chain = chain;
    }

    public PrivateKey Key { get; }

    public EthAddress Address => Key.Address;

    public EthereumAdjudicator Chain { get; }

    /// <summary>Front-running deposits attempted (landed or not).</summary>
    public int Attempts => Volatile.Read(ref _attempts);

    /// <summary>Same-block front-runs whose block held the griefer's transaction first and the victim's after it.</summary>
    public int SameBlock => Volatile.Read(ref _sameBlock);

    public static async Task<Griefer> CreateAsync(LifecycleChain chain)
    {
        var key = PrivateKey.Parse(chain.NextFundedKey());
        var adjudicator = await EthereumAdjudicator.ConnectAsync(chain.Node.RpcUrl, chain.Adjudicator, key, LifecycleChain.FastOptions());
        return new Griefer(chain, key, adjudicator);
    }

    /// <summary>What the griefer's deposits that landed credited to participant <paramref name="index"/> of <paramref name="channel"/>.</summary>
    public BigInteger LandedFor(ChannelId channel, int index) => _landed.GetValueOrDefault((channel, index));

    /// <summary>Everything the griefer's landed deposits put into the adjudicator.</summary>
    public BigInteger LandedTotal => _landed.Values.Aggregate(BigInteger.Zero, (a, b) => a + b);

    /// <summary>
    /// A decorator of a victim's adjudicator: each <c>DepositAsync(channel, index, expectedHeld, amount)</c>
    /// is front-run by the griefer's deposit of <paramref name="amount"/>(what the victim sends) for the
    /// same participant, with the holdings it reads. Without <paramref name="sameBlock"/> the griefer's is
    /// mined first and the call then forwarded unchanged; with it the victim's transaction is estimated,
    /// signed and in the mempool first, and the griefer's outbids it (higher tip) into the next block.
    /// </summary>
    public Func<IAdjudicator, IAdjudicator> Wrap(Func<Amount, Amount> amount, bool sameBlock = false) =>
        victim => new FrontRunning(victim, this, amount, sameBlock);

    public ValueTask DisposeAsync()
    {
        Key.Dispose();
        _one.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task FrontRunAsync(ChannelParams channel, int index, Amount amount, CancellationToken cancellationToken)
    {
        await _one.WaitAsync(cancellationToken);
        try
        {
            Interlocked.Increment(ref _attempts);
            var view = await Chain.GetChannelAsync(channel, cancellationToken);
            var held = index == 0 ? view.Held0 : view.Held1;
            try
            {
                await Chain.DepositAsync(channel, index, held, amount, cancellationToken);
                Landed(channel, index, amount);
            }
            catch (StateChannelException e) when (e.Code == ErrorCode.TransactionFailed)
            {
                // The contract refused the front-runner (e.g. a fix that accepts no third-party
                // deposit): it did not land, and the victim's deposit goes ahead as it would.
            }
        }
        finally
        {
            _one.Release();
        }
    }

    /// <summary>The victim's deposit goes to the mempool (estimated, signed) with automine off; the griefer's outbids it into the same block.</summary>
    private async Task SameBlockAsync(
        IAdjudicator victim, ChannelParams channel, int index, Amount expectedHeld, Amount victimAmount, Amount amount, CancellationToken cancellationToken)
    {
        var account = ((EthereumAdjudicator)victim).Account;
        await _one.WaitAsync(cancellationToken);
        Task deposit;
        try
        {
            Interlocked.Increment(ref _attempts);
            var view = await Chain.GetChannelAsync(channel, cancellationToken);
            var held = index == 0 ? view.Held0 : view.Held1;
            var sent = await PendingNonceAsync(account);
            await _node.Node.RpcAsync("evm_setAutomine", false);
            string hash;
            try
            {
                deposit = victim.DepositAsync(channel, index, expectedHeld, victimAmount, cancellationToken).AsTask();
                while (await PendingNonceAsync(account) == sent && !deposit.IsCompleted)
                {
                    await Task.Delay(5, cancellationToken);
                }

                hash = (string)(await _node.Node.RpcAsync("eth_sendTransaction", new JsonObject
                {
                    ["from"] = Address.ToString(),
                    ["to"] = _node.Adjudicator.ToString(),
                    ["data"] = DepositCallData(channel, index, held, amount),
                    ["value"] = "0x" + amount.ToBigInteger().ToString("x"),
                    ["gas"] = "0x493e0",
                    ["maxPriorityFeePerGas"] = "0x174876e800", // 100 gwei: ahead of the victim's
                    ["maxFeePerGas"] = "0x2540be4000",
                }))!;
                await _node.Node.MineAsync();
                var block = await _node.Node.RpcAsync("eth_getBlockByNumber", "latest", true);
                var from = block!["transactions"]!.AsArray().Select(t => EthAddress.Parse((string)t!["from"]!)).ToList();
                if (from.Count >= 2 && from[0] == Address && from.Contains(account))
                {
                    Interlocked.Increment(ref _sameBlock);
                }
            }
            finally
            {
                await _node.Node.RpcAsync("evm_setAutomine", true);
            }

            var receipt = await _node.Node.RpcAsync("eth_getTransactionReceipt", hash);
            if ((string?)receipt?["status"] == "0x1")
            {
                Landed(channel, index, amount);
            }
        }
        finally
        {
            _one.Release();
        }

        await deposit;
    }

    private void Landed(ChannelParams channel, int index, Amount amount)
    {
        var id = Eip712.ComputeChannelId(Chain.Domain, channel);
        _landed.AddOrUpdate((id, index), amount.ToBigInteger(), (_, sum) => sum + amount.ToBigInteger());
    }

    private async Task<string> PendingNonceAsync(EthAddress account) =>
        (string)(await _node.Node.RpcAsync("eth_getTransactionCount", account.ToString(), "pending"))!;

    /// <summary>deposit((address,address,address,uint64,uint256,uint256,uint256),uint256,uint256,uint256): a static tuple, encoded in place.</summary>
    private static string DepositCallData(ChannelParams p, int index, Amount expectedHeld, Amount amount)
    {
        var selector = Keccak.Hash(Encoding.ASCII.GetBytes(
            "deposit((address,address,address,uint64,uint256,uint256,uint256),uint256,uint256,uint256)")).ToString()[2..10].ToLowerInvariant();
        return "0x" + selector
            + LifecycleChain.Word(p.Participant0) + LifecycleChain.Word(p.Participant1) + LifecycleChain.Word(p.Asset)
            + LifecycleChain.Word(new BigInteger(p.ChallengeDurationSeconds))
            + Convert.ToHexString(p.Nonce.ToArray()).ToLowerInvariant()
            + LifecycleChain.Word(p.Funding0.ToBigInteger()) + LifecycleChain.Word(p.Funding1.ToBigInteger())
            + LifecycleChain.Word(new BigInteger(index)) + LifecycleChain.Word(expectedHeld.ToBigInteger()) + LifecycleChain.Word(amount.ToBigInteger());
    }

    private sealed class FrontRunning(IAdjudicator inner, Griefer griefer, Func<Amount, Amount> amount, bool sameBlock) : IAdjudicator
    {
        public Eip712Domain Domain => inner.Domain;

        public async ValueTask DepositAsync(ChannelParams channel, int index, Amount expectedHeld, Amount victimAmount, CancellationToken cancellationToken = default)
        {
            if (sameBlock)
            {
                await griefer.SameBlockAsync(inner, channel, index, expectedHeld, victimAmount, amount(victimAmount), cancellationToken);
                return;
            }

            await griefer.FrontRunAsync(channel, index, amount(victimAmount), cancellationToken);
            await inner.DepositAsync(channel, index, expectedHeld, victimAmount, cancellationToken);
        }

        public ValueTask<OnChainChannel> GetChannelAsync(ChannelParams channel, CancellationToken cancellationToken = default) =>
            inner.GetChannelAsync(channel, cancellationToken);

        public ValueTask CloseAsync(ChannelParams channel, SignedState finalState, CancellationToken cancellationToken = default) =>
            inner.CloseAsync(channel, finalState, cancellationToken);

        public ValueTask RegisterAsync(ChannelParams channel, SignedState state, CancellationToken cancellationToken = default) =>
            inner.RegisterAsync(channel, state, cancellationToken);

        public ValueTask ConcludeAsync(ChannelParams channel, CancellationToken cancellationToken = default) =>
            inner.ConcludeAsync(channel, cancellationToken);

        public ValueTask WithdrawAsync(EthAddress asset, CancellationToken cancellationToken = default) =>
            inner.WithdrawAsync(asset, cancellationToken);
    }
}
