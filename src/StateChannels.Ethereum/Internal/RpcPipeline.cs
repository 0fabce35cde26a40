using Nethereum.JsonRpc.Client;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace StateChannels.Ethereum.Internal;

/// <summary>
/// The Polly pipeline around every JSON-RPC request of a transaction manager: retry (exponential
/// back-off with jitter) ⟶ circuit breaker ⟶ per-attempt time-out. Only idempotent requests run
/// through it — reads, gas estimation, and the broadcast of an already signed transaction (a second
/// copy of the same signed bytes cannot be mined twice). Only transport failures and time-outs are
/// retried; an answer from the node (an RPC error, a revert) is final.
/// </summary>
internal static class RpcPipeline
{
    public static ResiliencePipeline Create(EthereumAdjudicatorOptions options)
    {
        var builder = new ResiliencePipelineBuilder { TimeProvider = options.TimeProvider };
        if (options.RpcRetryCount > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(e => IsTransient(e) || e is BrokenCircuitException),
                MaxRetryAttempts = options.RpcRetryCount,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RpcRetryDelay,
                MaxDelay = TimeSpan.FromSeconds(10),
            });
        }

        return builder
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(IsTransient),
                FailureRatio = 0.5,
                MinimumThroughput = 10,
                SamplingDuration = TimeSpan.FromSeconds(30),
                BreakDuration = options.CircuitBreakDuration,
            })
            .AddTimeout(options.RpcTimeout)
            .Build();
    }

    /// <summary>
    /// A failure in transport (connection refused or reset, HTTP error, time-out, an unparsable body):
    /// the request may be repeated. An RPC error answer is not transient.
    /// </summary>
    public static bool IsTransient(Exception e) => e switch
    {
        RpcResponseException => false,
        TimeoutRejectedException or RpcClientTimeoutException or RpcClientUnknownException or HttpRequestException or IOException => true,
        TaskCanceledException { InnerException: TimeoutException } => true,
        _ => false,
    };
}
