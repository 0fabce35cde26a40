using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.Retry;
using Polly.Timeout;
using StateChannels.Net.Authentication;
using StateChannels.Net.Framing;

namespace StateChannels.Net;

/// <summary>
/// Opens authenticated connections to channel peers. Each <see cref="ConnectAsync"/> runs through a
/// Polly resilience pipeline: transient failures (refused, reset, handshake timeout) are retried with
/// exponential backoff and jitter up to <see cref="TcpTransportOptions.ConnectRetryAttempts"/>, all
/// within <see cref="TcpTransportOptions.ConnectTimeout"/>; authentication failures are never retried.
/// Immutable and thread-safe: one dialer serves any number of concurrent connects.
/// </summary>
public sealed class TcpChannelDialer
{
    private static readonly ResiliencePropertyKey<string> TargetKey = new("StateChannels.Net.Target");

    private readonly IChannelSigner _signer;
    private readonly Eip712Domain _domain;
    private readonly TcpTransportOptions _options;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline _pipeline;

    /// <summary>Creates a dialer.</summary>
    /// <param name="signer">Our channel signing key; answers the peer's handshake challenge.</param>
    /// <param name="domain">The chain and adjudicator: the handshake's EIP-712 domain.</param>
    /// <param name="options">Limits, timeouts and retry policy; <see langword="null"/> for the defaults. Validated and copied.</param>
    /// <param name="logger">Receives connection events; never keys or signatures.</param>
    /// <exception cref="ArgumentNullException"><paramref name="signer"/> or <paramref name="domain"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public TcpChannelDialer(IChannelSigner signer, Eip712Domain domain, TcpTransportOptions? options = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(signer);
        ArgumentNullException.ThrowIfNull(domain);
        _signer = signer;
        _domain = domain;
        _options = (options ?? new TcpTransportOptions()).ValidateAndCopy();
        _logger = logger ?? NullLogger.Instance;
        _pipeline = BuildPipeline(_options, _logger);
    }

    /// <summary>
    /// Connects to a listener and authenticates it, retrying transient failures.
    /// </summary>
    /// <param name="endPoint">The listener's address (an <see cref="IPEndPoint"/> or a <see cref="DnsEndPoint"/>).</param>
    /// <param name="expectedPeer">The address the peer must prove; <see langword="null"/> accepts any authenticated peer.</param>
    /// <param name="cancellationToken">Cancels the connect, including retries and backoff delays.</param>
    /// <returns>A connection whose <see cref="TcpMessageConnection.Peer"/> is authenticated; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="endPoint"/> is null.</exception>
    /// <exception cref="HandshakeException">The peer failed authentication, is not <paramref name="expectedPeer"/>, or refused us.</exception>
    /// <exception cref="StateChannelException">
    /// The peer stayed unreachable through every attempt (<see cref="ErrorCode.PeerUnavailable"/>), or
    /// <see cref="TcpTransportOptions.ConnectTimeout"/> passed (<see cref="ErrorCode.Timeout"/>).
    /// </exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async ValueTask<TcpMessageConnection> ConnectAsync(EndPoint endPoint, EthAddress? expectedPeer = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        cancellationToken.ThrowIfCancellationRequested();
        ResilienceContext context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(TargetKey, endPoint.ToString() ?? "peer");
        try
        {
            return await _pipeline.ExecuteAsync(
                static (ctx, state) => state.Dialer.AttemptAsync(state.EndPoint, state.ExpectedPeer, ctx.CancellationToken),
                context,
                (Dialer: this, EndPoint: endPoint, ExpectedPeer: expectedPeer)).ConfigureAwait(false);
        }
        catch (TimeoutRejectedException e)
        {
            throw new StateChannelException(ErrorCode.Timeout, $"Could not connect to {endPoint} within {_options.ConnectTimeout}.", e);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>Whether a failed attempt is worth retrying.</summary>
    internal static bool IsTransient(StateChannelException e) =>
        e is HandshakeException h ? h.IsTransient : e.Code is ErrorCode.PeerUnavailable or ErrorCode.Timeout;

    private static ResiliencePipeline BuildPipeline(TcpTransportOptions options, ILogger logger)
    {
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

        return builder.Build();
    }

    private async ValueTask<TcpMessageConnection> AttemptAsync(EndPoint endPoint, EthAddress? expectedPeer, CancellationToken cancellationToken)
    {
        Socket socket = endPoint.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6
            ? new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
            : new Socket(SocketType.Stream, ProtocolType.Tcp);
        socket.NoDelay = true;
        FrameReader? frames = null;
        bool handedOver = false;
        try
        {
            try
            {
                await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                throw new StateChannelException(ErrorCode.PeerUnavailable, $"Could not connect to {endPoint}: {e.SocketErrorCode}.", e);
            }

            var stream = new NetworkStream(socket, ownsSocket: true);
            frames = FrameReader.Over(stream, _options);
            EthAddress peer = await HandshakeProtocol.RunAsync(stream, frames, _signer, _domain, isDialer: true, expectedPeer, _options, cancellationToken).ConfigureAwait(false);
            var connection = new TcpMessageConnection(socket, stream, frames, peer, _options, _logger, onClosed: null);
            handedOver = true;
            connection.Start();
            Log.Authenticated(_logger, peer, connection.RemoteEndPoint);
            return connection;
        }
        finally
        {
            if (!handedOver)
            {
                frames?.Complete();
                socket.Dispose();
            }
        }
    }
}
