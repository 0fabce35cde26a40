using Nethereum.JsonRpc.Client;
using Polly.CircuitBreaker;
using StateChannels.Ethereum.Internal;

namespace StateChannels.Ethereum.Tests.Transactions;

/// <summary>The RPC resilience pipeline: what is retried, what is not, and the circuit breaker.</summary>
public sealed class RpcPipelineTests
{
    [Fact]
    public async Task CallAsync_TransportFailures_RetriedThenChainRpcFailure()
    {
        var options = Options(retries: 3);
        var calls = 0;

        var e = await Assert.ThrowsAsync<StateChannelException>(() => RpcGuard.CallAsync(
            "eth_blockNumber", RpcPipeline.Create(options), () => { calls++; return Task.FromException<int>(new HttpRequestException("refused")); },
            transaction: false, CancellationToken.None));

        Assert.Equal(ErrorCode.ChainRpcFailure, e.Code);
        Assert.Equal(4, calls);
    }

    [Fact]
    public async Task CallAsync_TransientFailureThenAnswer_ReturnsTheAnswer()
    {
        var calls = 0;

        var result = await RpcGuard.CallAsync(
            "eth_blockNumber", RpcPipeline.Create(Options(retries: 3)),
            () => ++calls < 3 ? Task.FromException<int>(new RpcClientUnknownException("connection reset")) : Task.FromResult(42),
            transaction: false, CancellationToken.None);

        Assert.Equal(42, result);
        Assert.Equal(3, calls);
    }

    [Fact]
    public async Task CallAsync_NodeAnsweredAnError_NotRetried()
    {
        var calls = 0;

        var e = await Assert.ThrowsAsync<StateChannelException>(() => RpcGuard.CallAsync(
            "eth_call", RpcPipeline.Create(Options(retries: 3)),
            () => { calls++; return Task.FromException<int>(new RpcResponseException(new RpcError(-32602, "invalid params"))); },
            transaction: false, CancellationToken.None));

        Assert.Equal(ErrorCode.ChainRpcFailure, e.Code);
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task CallAsync_AttemptHangsPastRpcTimeout_TimesOutAsChainRpcFailure()
    {
        var options = Options(retries: 0);
        options.RpcTimeout = TimeSpan.FromMilliseconds(50);

        var e = await Assert.ThrowsAsync<StateChannelException>(() => RpcGuard.CallAsync(
            "eth_blockNumber", RpcPipeline.Create(options), () => new TaskCompletionSource<int>().Task, transaction: false, CancellationToken.None));

        Assert.Equal(ErrorCode.ChainRpcFailure, e.Code);
    }

    [Fact]
    public async Task CallAsync_CancelledDuringRetries_ThrowsOperationCanceled()
    {
        var options = Options(retries: 10);
        options.RpcRetryDelay = TimeSpan.FromSeconds(30);
        using var cts = new CancellationTokenSource();
        var calls = 0;

        var call = RpcGuard.CallAsync(
            "eth_blockNumber", RpcPipeline.Create(options),
            () => { calls++; cts.Cancel(); return Task.FromException<int>(new HttpRequestException("refused")); },
            transaction: false, cts.Token);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task CallAsync_ManyTransportFailures_BreakerOpensAndFailsFastWithoutCallingTheNode()
    {
        var pipeline = RpcPipeline.Create(Options(retries: 0));
        var calls = 0;
        Task<int> Failing()
        {
            calls++;
            return Task.FromException<int>(new HttpRequestException("refused"));
        }

        for (var i = 0; i < 10; i++)
        {
            await Assert.ThrowsAsync<StateChannelException>(() => RpcGuard.CallAsync("eth_blockNumber", pipeline, Failing, false, CancellationToken.None));
        }

        var broken = await Assert.ThrowsAsync<StateChannelException>(() => RpcGuard.CallAsync("eth_blockNumber", pipeline, Failing, false, CancellationToken.None));

        Assert.Equal(ErrorCode.ChainRpcFailure, broken.Code);
        Assert.IsAssignableFrom<BrokenCircuitException>(broken.InnerException);
        Assert.Equal(10, calls);
    }

    private static EthereumAdjudicatorOptions Options(int retries) => new EthereumAdjudicatorOptions
    {
        RpcRetryCount = retries,
        RpcRetryDelay = TimeSpan.FromMilliseconds(1),
        RpcTimeout = TimeSpan.FromSeconds(5),
    }.ValidateAndCopy();
}
