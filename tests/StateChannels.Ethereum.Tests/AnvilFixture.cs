using System.Collections.Concurrent;
using System.Globalization;
using System.Numerics;
using Nethereum.Contracts;
using Nethereum.RPC.Eth.DTOs;
using StateChannels.TestKit;
using StateChannels.TestKit.Bindings.TestToken;

namespace StateChannels.Ethereum.Tests;

/// <summary>
/// One real anvil per test class (xunit class fixture) with the Adjudicator and the TestToken
/// deployed from the committed artifacts (through the generated bindings), plus helpers.
/// </summary>
public sealed class AnvilFixture : IAsyncLifetime
{
    /// <summary>One ether in wei.</summary>
    public static readonly BigInteger Ether = BigInteger.Pow(10, 18);

    private readonly List<PrivateKey> _keys = [];

    public AnvilNode Node { get; private set; } = null!;

    public Uri RpcUrl => Node.RpcUrl;

    /// <summary>The anvil dev accounts' keys (funded with 10,000 ETH each).</summary>
    public IReadOnlyList<PrivateKey> Keys => _keys;

    public EthAddress Adjudicator { get; private set; }

    public EthAddress Token { get; private set; }

    public Eip712Domain Domain { get; private set; } = null!;

    /// <summary>Every confirmed transaction of adjudicators made by <see cref="ConnectAsync"/>: operation and receipt.</summary>
    public ConcurrentQueue<(string Operation, TransactionReceipt Receipt)> Receipts { get; } = new();

    /// <summary>Fast polling for a local node.</summary>
    public static EthereumAdjudicatorOptions FastOptions(int depth = 1) => new()
    {
        ConfirmationDepth = depth,
        PollInterval = TimeSpan.FromMilliseconds(10),
        ReceiptTimeout = TimeSpan.FromSeconds(60),
        RpcTimeout = TimeSpan.FromSeconds(15),
        RpcRetryDelay = TimeSpan.FromMilliseconds(20),
    };

    public async Task InitializeAsync()
    {
        Node = await AnvilNode.StartAsync();
        foreach (var hex in Node.PrivateKeys)
        {
            _keys.Add(PrivateKey.Parse(hex));
        }

        Adjudicator = await EthereumAdjudicator.DeployAsync(RpcUrl, Keys[0], FastOptions());
        Domain = new Eip712Domain(Node.ChainId, Adjudicator);
        (Token, _) = await EthereumAdjudicator.DeployContractAsync(
            RpcUrl, Keys[0], new TestTokenDeployment(), "TestToken deployment", FastOptions().ValidateAndCopy(), CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        foreach (var key in _keys)
        {
            key.Dispose();
        }

        if (Node is not null)
        {
            await Node.DisposeAsync();
        }
    }

    /// <summary>An adjudicator client sending from <paramref name="transactionKey"/>, recording its receipts.</summary>
    public async Task<EthereumAdjudicator> ConnectAsync(
        PrivateKey transactionKey, EthereumAdjudicatorOptions? options = null, ITransactionJournal? journal = null)
    {
        var adjudicator = await EthereumAdjudicator.ConnectAsync(RpcUrl, Adjudicator, transactionKey, options ?? FastOptions(), journal);
        adjudicator.Transactions.Confirmed = (operation, receipt) => Receipts.Enqueue((operation, receipt));
        return adjudicator;
    }

    /// <summary>Fresh ETH channel params with a random nonce.</summary>
    public static ChannelParams NewChannel(
        EthAddress participant0, EthAddress participant1, BigInteger funding0, BigInteger funding1,
        EthAddress asset = default, ulong challengeSeconds = 3600) =>
        new(participant0, participant1, asset, challengeSeconds, Hash32.CreateRandom(), Amount.FromWei(funding0), Amount.FromWei(funding1));

    /// <summary>A state signed by both channel keys with the core's signer.</summary>
    public SignedState SignBoth(ChannelState state, PrivateKey key0, PrivateKey key1)
    {
        var digest = Eip712.HashState(Domain, state);
        return new SignedState(state, key0.Sign(digest), key1.Sign(digest));
    }

    public async Task<BigInteger> BalanceAsync(EthAddress account)
    {
        var hex = (string)(await Node.RpcAsync("eth_getBalance", account.ToString(), "latest"))!;
        return BigInteger.Parse("0" + hex[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
    }

    public async Task<BigInteger> TokenBalanceAsync(EthAddress owner)
    {
        var web3 = new Nethereum.Web3.Web3(RpcUrl.ToString());
        return await web3.Eth.GetContractQueryHandler<BalanceOfFunction>()
            .QueryAsync<BigInteger>(Token.ToString(), new BalanceOfFunction { Account = owner.ToString() });
    }

    public async Task MintAsync(EthAddress to, BigInteger amount)
    {
        var adjudicator = new EthereumAdjudicator(RpcUrl, Domain, Keys[0], FastOptions());
        await adjudicator.Transactions.SendAsync(
            "TestToken.mint", Token, new MintFunction { To = to.ToString(), Amount = amount }.GetCallData(), BigInteger.Zero, CancellationToken.None);
    }

    /// <summary>Gas used by the last recorded receipt of <paramref name="operation"/>.</summary>
    public ulong LastGas(string operation) =>
        (ulong)Receipts.Last(r => r.Operation == operation).Receipt.GasUsed.Value;

    /// <summary>What a receipt cost its sender: gasUsed * effectiveGasPrice.</summary>
    public static BigInteger Fee(TransactionReceipt receipt) => receipt.GasUsed.Value * receipt.EffectiveGasPrice.Value;
}
