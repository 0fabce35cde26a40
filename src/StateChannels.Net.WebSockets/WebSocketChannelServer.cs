using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StateChannels.Net.Authentication;
using StateChannels.Net.Limits;
using StateChannels.Net.Noise;

namespace StateChannels.Net.WebSockets;

/// <summary>
/// The hub's side of the WebSocket transport: what <see cref="WebSocketEndpointExtensions.MapStateChannels(Microsoft.AspNetCore.Routing.IEndpointRouteBuilder, string, WebSocketChannelServer, Func{WebSocketMessageConnection, CancellationToken, Task})"/>
/// runs for every upgrade request. Each WebSocket goes through the TCP transport's handshake (the Noise acts, unless
/// <see cref="TransportEncryption.None"/>, then the signed handshake bound to the Noise handshake hash), bounded by
/// <see cref="TcpTransportOptions.HandshakeTimeout"/>; a failed handshake is logged and dropped. Connections beyond
/// <see cref="TcpTransportOptions.MaxConnections"/> or <see cref="TcpTransportOptions.MaxConnectionsPerAddress"/> are
/// refused with 503 before the upgrade. Behind an ingress, the remote address is the ingress's unless the host applies
/// forwarded headers (<c>UseForwardedHeaders</c>) first. Thread-safe.
/// </summary>
public sealed class WebSocketChannelServer : IAsyncDisposable
{
    private readonly IChannelSigner _signer;
    private readonly Eip712Domain _domain;
    private readonly TcpTransportOptions _options;
    private readonly ILogger _logger;
    private readonly ConnectionLimiter _limiter;
    private readonly NoiseStaticKey? _noiseKey;
    private readonly bool _ownsNoiseKey;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<long, Task> _sessions = new();
    private long _nextSession;
    private int _rejectedHandshakes;
    private int _disposed;

    /// <summary>Creates the server side; it serves nothing until mapped.</summary>
    /// <param name="signer">Our channel signing key; answers peers' handshake challenges.</param>
    /// <param name="domain">The chain and adjudicator: the handshake's EIP-712 domain.</param>
    /// <param name="options">The same limits and timeouts as TCP; <see langword="null"/> for the defaults. Validated and copied.
    /// Set <see cref="TcpTransportOptions.NoiseKey"/> (and keep it) so that the key dialers are given stays valid across restarts.</param>
    /// <param name="logger">Receives connection events; never keys or signatures.</param>
    /// <exception cref="ArgumentNullException"><paramref name="signer"/> or <paramref name="domain"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public WebSocketChannelServer(IChannelSigner signer, Eip712Domain domain, TcpTransportOptions? options = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(signer);
        ArgumentNullException.ThrowIfNull(domain);
        _signer = signer;
        _domain = domain;
        _options = (options ?? new TcpTransportOptions()).ValidateAndCopy();
        _logger = logger ?? NullLogger.Instance;
        _limiter = new ConnectionLimiter(_options.MaxConnections, _options.MaxConnectionsPerAddress);
        _ownsNoiseKey = _options.Encryption != TransportEncryption.None && _options.NoiseKey is null;
        _noiseKey = _options.Encryption == TransportEncryption.None ? null : _options.NoiseKey ?? NoiseStaticKey.Create();
    }

    /// <summary>Our Noise static public key, which every dialer needs (Noise_XK); <see langword="null"/> in plaintext mode.</summary>
    public NoisePublicKey? NoiseKey => _noiseKey?.PublicKey;

    /// <summary>Connections open now: handshakes in progress and authenticated connections until they close.</summary>
    public int ConnectionCount => _limiter.Count;

    /// <summary>Handshakes that failed since the server was created (diagnostics and tests).</summary>
    internal int RejectedHandshakes => Volatile.Read(ref _rejectedHandshakes);

    /// <summary>What a dialer needs: <paramref name="publicUri"/> (as the dialers reach it, e.g. through the ingress) and <see cref="NoiseKey"/>.</summary>
    /// <param name="publicUri">The endpoint's public <c>ws://</c> or <c>wss://</c> URI.</param>
    /// <returns>The address to publish, written <c>key@wss://host/path</c>.</returns>
    public WebSocketPeerAddress PeerAddress(Uri publicUri) => new(publicUri, NoiseKey);

    /// <summary>Aborts handshakes and connections in progress (their handlers see cancellation) and waits for them. Idempotent.</summary>
    /// <returns>A task that completes when every session has ended.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_sessions.Values).ConfigureAwait(false);
        if (_ownsNoiseKey)
        {
            _noiseKey!.Dispose();
        }
    }

    /// <summary>Serves one upgrade request: limits, handshake, then <paramref name="handler"/> for as long as it runs.</summary>
    internal async Task HandleAsync(HttpContext context, Func<WebSocketMessageConnection, CancellationToken, Task> handler)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status426UpgradeRequired;
            return;
        }

        IPAddress address = ConnectionLimiter.Normalize(context.Connection.RemoteIpAddress ?? IPAddress.IPv6None);
        var remote = new IPEndPoint(address, context.Connection.RemotePort);
        if (Volatile.Read(ref _disposed) != 0 || !_limiter.TryAcquire(address))
        {
            Log.ConnectionLimitReached(_logger, remote);
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }

        // Registered before it starts, so that DisposeAsync always waits for it.
        long id = Interlocked.Increment(ref _nextSession);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _sessions[id] = done.Task;
        try
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stop.Token);
            await using WebSocketMessageConnection? connection = await HandshakeAsync(context, remote, address, linked.Token).ConfigureAwait(false);
            if (connection is not null)
            {
                try
                {
                    await handler(connection, linked.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (linked.IsCancellationRequested)
                {
                    // The server is stopping or the request was aborted.
                }
            }
        }
        finally
        {
            _sessions.TryRemove(id, out Task? _);
            done.SetResult();
        }
    }

    private async Task<WebSocketMessageConnection?> HandshakeAsync(HttpContext context, IPEndPoint remote, IPAddress address, CancellationToken cancellationToken)
    {
        WebSocket? socket = null;
        bool handedOver = false;
        try
        {
            socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { KeepAliveInterval = TimeSpan.Zero }).ConfigureAwait(false);
            AuthenticatedSession session = await HandshakeProtocol.RunAsync(
                new WebSocketByteStream(socket), _noiseKey, null, _signer, _domain, isDialer: false, expectedPeer: null, _options, cancellationToken).ConfigureAwait(false);
            WebSocket accepted = socket;
            var connection = new TcpMessageConnection(() => WebSocketByteStream.Abort(accepted), remote, session, _options, _logger, () => _limiter.Release(address));
            handedOver = true;
            connection.Start();
            Log.Authenticated(_logger, session.Peer, remote);
            return new WebSocketMessageConnection(connection);
        }
        catch (HandshakeException e)
        {
            Interlocked.Increment(ref _rejectedHandshakes);
            Log.HandshakeFailed(_logger, remote, e.Failure, e);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The server is stopping or the client went away.
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // E.g. the upgrade failed or the signer did: drop this connection, keep serving.
            Interlocked.Increment(ref _rejectedHandshakes);
            Log.HandshakeError(_logger, remote, e);
        }
        finally
        {
            if (!handedOver)
            {
                if (socket is not null)
                {
                    WebSocketByteStream.Abort(socket);
                }

                _limiter.Release(address);
            }
        }

        return null;
    }
}
