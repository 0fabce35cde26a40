using System.Globalization;
using System.Numerics;
using System.Text.Json.Nodes;
using Nethereum.Contracts;
using Nethereum.Hex.HexConvertors.Extensions;
using StateChannels.Ethereum;
using StateChannels.TestKit;
using StateChannels.TestKit.Bindings.TestToken;

namespace StateChannels.Integration.Tests.Lifecycle.Support;

/// <summary>
/// One real anvil for the lifecycle tests, with the adjudicator and the TestToken deployed from the
/// committed artifacts. Token calls go through anvil's unlocked dev account 0 (eth_sendTransaction)
/// with calldata from the TestToken's bindings in StateChannels.TestKit.
/// </summary>
public sealed class LifecycleChain : IAsyncLifetime
{
    /// <summary>One ether in wei.</summary>
    public static readonly BigInteger Ether = BigInteger.Pow(10, 18);

    private int _nextAccount;

    public AnvilNode Node { get; private set; } = null!;

    public EthAddress Adjudicator { get; private set; }

    public EthAddress Token { get; private set; }

    /// <summary>Dev account 0: deploys and mints; never a channel party.</summary>
    public EthAddress Deployer { get; private set; }

    public static EthereumAdjudicatorOptions FastOptions() => new()
    {
        PollInterval = TimeSpan.FromMilliseconds(10),
        ReceiptTimeout = TimeSpan.FromMinutes(2),
        RpcTimeout = TimeSpan.FromSeconds(20),
    };

    public async Task InitializeAsync()
    {
        Node = await AnvilNode.StartAsync(accounts: 30);
        using var deployer = PrivateKey.Parse(Node.PrivateKeys[0]);
        Deployer = deployer.Address;
        Adjudicator = await EthereumAdjudicator.DeployAsync(Node.RpcUrl, deployer, FastOptions());
        var receipt = await SendFromDeployerAsync(to: null, TestTokenDeployment.Bytecode);
        Token = EthAddress.Parse((string)receipt["contractAddress"]!);
        RecordStorageContext();
    }

    /// <summary>
    /// Times 20 durable 4 KiB writes in the temp directory (where the tests' LiteDB files live), so
    /// the payment timings in the figures can be read against what the disk gave at that moment:
    /// each update makes several durable writes, and a shared CI machine's fsync varies a lot.
    /// </summary>
    public static void RecordStorageContext()
    {
        var path = Path.Combine(Path.GetTempPath(), "statechannels-fsync-" + Guid.NewGuid().ToString("N")[..8]);
        var page = new byte[4096];
        try
        {
            using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.None);
            for (var i = 0; i < 20; i++)
            {
                var clock = System.Diagnostics.Stopwatch.StartNew();
                file.Write(page);
                file.Flush(flushToDisk: true);
                LifecycleFigures.RecordTime("context: 4 KiB append + fsync in the temp directory", clock.Elapsed);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    public async Task DisposeAsync()
    {
        LifecycleFigures.Write();
        if (Node is not null)
        {
            await Node.DisposeAsync();
        }
    }

    /// <summary>A funded dev account's key (hex) that no other party uses (10,000 ETH).</summary>
    public string NextFundedKey()
    {
        var i = Interlocked.Increment(ref _nextAccount);
        Assert.True(i < Node.PrivateKeys.Count, "out of funded anvil accounts: start anvil with more");
        return Node.PrivateKeys[i];
    }

    public async Task<BigInteger> EthBalanceAsync(EthAddress account, ulong? block = null)
    {
        var hex = (string)(await Node.RpcAsync("eth_getBalance", account.ToString(), BlockTag(block)))!;
        return ParseQuantity(hex);
    }

    public async Task<BigInteger> TokenBalanceAsync(EthAddress owner, ulong? block = null)
    {
        var data = new BalanceOfFunction { Account = owner.ToString() }.GetCallData().ToHex(prefix: true);
        var call = new JsonObject { ["to"] = Token.ToString(), ["data"] = data };
        var hex = (string)(await Node.RpcAsync("eth_call", call, BlockTag(block)))!;
        return ParseQuantity(hex);
    }

    /// <summary>Mints test tokens to <paramref name="to"/> (sent by the deployer: costs <paramref name="to"/> no gas).</summary>
    public async Task MintAsync(EthAddress to, BigInteger amount)
    {
        await SendFromDeployerAsync(Token, new MintFunction { To = to.ToString(), Amount = amount }.GetCallData().ToHex(prefix: true));
    }

    /// <summary>Moves the chain clock past <paramref name="by"/> and mines a block.</summary>
    public Task IncreaseTimeAsync(TimeSpan by) => Node.IncreaseTimeAsync(by);

    public Task<ulong> BlockNumberAsync() => Node.BlockNumberAsync();

    internal static string Word(EthAddress address) => address.ToString()[2..].ToLowerInvariant().PadLeft(64, '0');

    internal static string Word(BigInteger value) => value.ToString("x64", CultureInfo.InvariantCulture)[^64..];

    internal static BigInteger ParseQuantity(string hex)
    {
        var digits = hex.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? hex[2..] : hex;
        return digits.Length == 0 ? BigInteger.Zero : BigInteger.Parse("0" + digits, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
    }

    private static string BlockTag(ulong? block) => block is { } b ? "0x" + b.ToString("x", CultureInfo.InvariantCulture) : "latest";

    private async Task<JsonNode> SendFromDeployerAsync(EthAddress? to, string data)
    {
        var tx = new JsonObject { ["from"] = Deployer.ToString(), ["data"] = data };
        if (to is { } address)
        {
            tx["to"] = address.ToString();
        }

        var hash = (string)(await Node.RpcAsync("eth_sendTransaction", tx))!;
        for (var i = 0; i < 500; i++)
        {
            if (await Node.RpcAsync("eth_getTransactionReceipt", hash) is { } receipt)
            {
                Assert.Equal("0x1", (string?)receipt["status"]);
                return receipt;
            }

            await Task.Delay(10);
        }

        throw new TimeoutException($"no receipt for {hash}");
    }
}
