using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace StateChannels.Net;

/// <summary>
/// The dialers' one connect policy (TCP and WebSocket): a Polly pipeline that bounds all attempts by
/// <see cref="TcpTransportOptions.ConnectTimeout"/> and retries transient failures (refused, lost, handshake
/// timeout) with exponential backoff and jitter, never authentication failures. Immutable and thread-safe.
/// </summary>
internal sealed class ConnectPolicy
{
    private static readonly ResiliencePropertyKey<string> TargetKey = new("StateChannels.Net.Target");

    private readonly ResiliencePipeline _pipeline;
    private readonly TimeSpan _connectTimeout;

    public ConnectPolicy(TcpTransportOptions options, ILogger logger)
    {
        _connectTimeout = options.ConnectTimeout;
        var builder = new ResiliencePipelineBuilder { TimeProvider = options.TimeProvider };
        builder.AddTimeout(options.ConnectTimeout);
        if (options.ConnectRetryAttempts > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = options.ConnectRetryAttempts,
                Delay = options.ConnectRetryDelay,
                MaxDelay = options.ConnectRetryMaxDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldHandle = new PredicateBuilder().Handle<StateChannelException>(IsTransient),
                OnRetry = args =>
                {
                    string target = args.Context.Properties.TryGetValue(TargetKey, out string? value) ? value : "peer";
                    Log.ConnectRetry(logger, target, args.AttemptNumber + 1, args.RetryDelay, args.Outcome.Exception);
                    return default;
                },
            });
        }

        _pipeline = builder.Build();
    }

    /// <summary>Whether a failed attempt is worth retrying.</summary>
    internal static bool IsTransient(StateChannelException e) =>
        e is HandshakeException h ? h.IsTransient : e.Code is ErrorCode.PeerUnavailable or ErrorCode.Timeout;

    /// <summary>Runs <paramref name="attempt"/> under the policy.</summary>
    /// <param name="target">The peer, for logs and the timeout message.</param>
    /// <param name="attempt">One connection attempt; throws <see cref="StateChannelException"/> on failure.</param>
    /// <param name="state">Passed to <paramref name="attempt"/>.</param>
    /// <param name="cancellationToken">Cancels the connect, including retries and backoff delays.</param>
    /// <exception cref="StateChannelException">The last attempt's failure, or <see cref="ErrorCode.Timeout"/> when the connect timeout passed.</exception>
    public async ValueTask<TResult> ExecuteAsync<TResult, TState>(
        string target, Func<TState, CancellationToken, ValueTask<TResult>> attempt, TState state, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ResilienceContext context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(TargetKey, target);
        try
        {
            return await _pipeline.ExecuteAsync(
                static (ctx, s) => s.Attempt(s.State, ctx.CancellationToken),
                context,
                (Attempt: attempt, State: state)).ConfigureAwait(false);
        }
        catch (TimeoutRejectedException e)
        {
            throw new StateChannelException(ErrorCode.Timeout, $"Could not connect to {target} within {_connectTimeout}.", e);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }
}
