using System.Text.Json.Nodes;
using StateChannels.Testing;
using Xunit.Abstractions;
using static StateChannels.Ethereum.Tests.Transactions.ChainProbe;

namespace StateChannels.Ethereum.Tests.Transactions;

/// <summary>
/// A node that lies or answers garbage (THREATS E6): every call ends in a typed
/// <see cref="StateChannelException"/>, never a false success, and a retry through an honest node
/// resumes the journaled transaction instead of sending a second one.
/// </summary>
public sealed class BadRpcTests(AnvilFixture fx, ITestOutputHelper output) : IClassFixture<AnvilFixture>, IDisposable
{
    private readonly PrivateKey _alice = PrivateKey.Create();
    private readonly PrivateKey _bob = PrivateKey.Create();

    public void Dispose()
    {
        _alice.Dispose();
        _bob.Dispose();
    }

    [Fact]
    public async Task DepositAsync_ReceiptAlwaysMissing_ThrowsTimeoutNotSuccess_AndHonestRetryDoesNotResend()
    {
        await using var proxy = new RpcProxy(fx.RpcUrl);
        proxy.Rewrite = (method, request, body) => method == "eth_getTransactionReceipt" ? Answer(request, "null") : null;
        var journal = new InMemoryChannelStore();
        var key = fx.Keys[1];
        var channel = AnvilFixture.NewChannel(_alice.Address, _bob.Address, 1_000, 1_000);
        var liar = await ConnectAsync(proxy.Url, key, journal, TimeSpan.FromSeconds(1));
        var n0 = await NonceAsync(fx.Node, key.Address);

        var e = await Assert.ThrowsAsync<StateChannelException>(async () => await liar.DepositAsync(channel, 0, Amount.Zero, 1_000));

        Assert.Equal(ErrorCode.Timeout, e.Code);
        Assert.Contains("not mined", e.Message, StringComparison.Ordinal);

        // The transaction was in fact mined (the node hid its receipt). An honest retry with the same journal finds it.
        var honest = await fx.ConnectAsync(key, journal: journal);
        await honest.DepositAsync(channel, 0, Amount.Zero, 1_000);
        Assert.Equal(n0 + 1, await NonceAsync(fx.Node, key.Address));
        Assert.Equal(new Amount(1_000), (await honest.GetChannelAsync(channel)).Held0);
    }

    [Theory]
    [InlineData("\"garbage\"")]
    [InlineData("{\"blockNumber\":\"0xzz\",\"blockHash\":\"0x01\",\"status\":\"0x1\"}")]
    [InlineData("[1,2,3]")]
    public async Task DepositAsync_ReceiptIsGarbage_ThrowsChainRpcFailureNotSuccess(string garbage)
    {
        await using var proxy = new RpcProxy(fx.RpcUrl);
        proxy.Rewrite = (method, request, body) => method == "eth_getTransactionReceipt" ? Answer(request, garbage) : null;
        var channel = AnvilFixture.NewChannel(_alice.Address, _bob.Address, 1_000, 1_000);
        var liar = await ConnectAsync(proxy.Url, fx.Keys[2], new InMemoryChannelStore(), TimeSpan.FromSeconds(1));

        var e = await Assert.ThrowsAsync<StateChannelException>(async () => await liar.DepositAsync(channel, 0, Amount.Zero, 1_000));

        Assert.Equal(ErrorCode.ChainRpcFailure, e.Code);
        output.WriteLine(e.Message);
    }

    [Fact]
    public async Task DepositAsync_ReceiptOfAnotherTransaction_ThrowsChainRpcFailureNotSuccess()
    {
        await using var proxy = new RpcProxy(fx.RpcUrl);
        var channel = AnvilFixture.NewChannel(_alice.Address, _bob.Address, 1_000, 1_000);
        var liar = await ConnectAsync(proxy.Url, fx.Keys[3], new InMemoryChannelStore(), TimeSpan.FromSeconds(1));
        proxy.Rewrite = (method, request, body) =>
        {
            if (method != "eth_getTransactionReceipt" || JsonNode.Parse(body)!["result"] is not JsonObject receipt)
            {
                return null;
            }

            // A successful receipt, but for another transaction.
            receipt["transactionHash"] = Hash32.CreateRandom().ToString();
            receipt["status"] = "0x1";
            return Answer(request, receipt.ToJsonString());
        };

        var e = await Assert.ThrowsAsync<StateChannelException>(async () => await liar.DepositAsync(channel, 0, Amount.Zero, 1_000));

        Assert.Equal(ErrorCode.ChainRpcFailure, e.Code);
        Assert.Contains("another transaction", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DepositAsync_BroadcastAnswersWrongHash_ThrowsChainRpcFailure_AndRetryResumesWithoutResending()
    {
        await using var proxy = new RpcProxy(fx.RpcUrl);
        proxy.Rewrite = (method, request, body) =>
            method == "eth_sendRawTransaction" ? Answer(request, $"\"{Hash32.CreateRandom()}\"") : null;
        var journal = new InMemoryChannelStore();
        var key = fx.Keys[4];
        var channel = AnvilFixture.NewChannel(_alice.Address, _bob.Address, 1_000, 1_000);
        var liar = await ConnectAsync(proxy.Url, key, journal, TimeSpan.FromSeconds(5));
        var n0 = await NonceAsync(fx.Node, key.Address);

        var e = await Assert.ThrowsAsync<StateChannelException>(async () => await liar.DepositAsync(channel, 0, Amount.Zero, 1_000));
        Assert.Equal(ErrorCode.ChainRpcFailure, e.Code);

        var honest = await fx.ConnectAsync(key, journal: journal);
        await honest.DepositAsync(channel, 0, Amount.Zero, 1_000);
        Assert.Equal(n0 + 1, await NonceAsync(fx.Node, key.Address));
        Assert.Equal(new Amount(1_000), (await honest.GetChannelAsync(channel)).Held0);
    }

    [Fact]
    public async Task GetChannelAsync_ViewAnswerIsGarbage_ThrowsChainRpcFailure()
    {
        await using var proxy = new RpcProxy(fx.RpcUrl);
        var liar = await ConnectAsync(proxy.Url, fx.Keys[5], new InMemoryChannelStore(), TimeSpan.FromSeconds(1));
        proxy.Rewrite = (method, request, body) => method == "eth_call" ? Answer(request, "\"0x1234\"") : null;

        var e = await Assert.ThrowsAsync<StateChannelException>(
            async () => await liar.GetChannelAsync(AnvilFixture.NewChannel(_alice.Address, _bob.Address, 1, 1)));

        Assert.Equal(ErrorCode.ChainRpcFailure, e.Code);
    }

    private async Task<EthereumAdjudicator> ConnectAsync(Uri rpc, PrivateKey key, ITransactionJournal journal, TimeSpan receiptTimeout)
    {
        var options = AnvilFixture.FastOptions();
        options.ReceiptTimeout = receiptTimeout;
        options.RpcRetryCount = 2;
        options.Logger = new TestOutputLogger(output);
        return await EthereumAdjudicator.ConnectAsync(rpc, fx.Adjudicator, key, options, journal);
    }

    private static string Answer(JsonNode request, string result) =>
        $"{{\"jsonrpc\":\"2.0\",\"id\":{request["id"]!.ToJsonString()},\"result\":{result}}}";
}
