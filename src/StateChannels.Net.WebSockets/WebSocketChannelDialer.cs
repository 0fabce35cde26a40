using System.Net;
using System.Net.WebSockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StateChannels.Net.Authentication;
using StateChannels.Net.Noise;

namespace StateChannels.Net.WebSockets;

/// <summary>
/// Opens encrypted (Noise, BOLT 8) and authenticated connections to a hub's WebSocket endpoint with
/// <see cref="ClientWebSocket"/>. Everything above the WebSocket is the TCP transport's: the Noise acts, the signed
/// handshake bound to the Noise handshake hash, the frame limits, keepalive, and the connect policy (transient
/// failures retried with backoff up to <see cref="TcpTransportOptions.ConnectRetryAttempts"/>, all within
/// <see cref="TcpTransportOptions.ConnectTimeout"/>; authentication failures never retried).
/// Immutable and thread-safe: one dialer serves any number of concurrent connects.
/// </summary>
public sealed class WebSocketChannelDialer
{
    private readonly IChannelSigner _signer;
    private readonly Eip712Domain _domain;
    private readonly TcpTransportOptions _options;
    private readonly ILogger _logger;
    private readonly ConnectPolicy _policy;
    private readonly NoiseStaticKey? _noiseKey;
    private readonly Action<ClientWebSocketOptions>? _configure;

    /// <summary>Creates a dialer.</summary>
    /// <param name="signer">Our channel signing key; answers the hub's handshake challenge.</param>
    /// <param name="domain">The chain and adjudicator: the handshake's EIP-712 domain.</param>
    /// <param name="options">The same limits, timeouts and retry policy as TCP; <see langword="null"/> for the defaults. Validated and copied.</param>
    /// <param name="configureWebSocket">Called on every new <see cref="ClientWebSocket"/>'s options before it connects: headers an
    /// ingress wants, a proxy, client certificates, TLS validation. Optional.</param>
    /// <param name="logger">Receives connection events; never keys or signatures.</param>
    /// <exception cref="ArgumentNullException"><paramref name="signer"/> or <paramref name="domain"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public WebSocketChannelDialer(
        IChannelSigner signer,
        Eip712Domain domain,
        TcpTransportOptions? options = null,
        Action<ClientWebSocketOptions>? configureWebSocket = null,
        ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(signer);
        ArgumentNullException.ThrowIfNull(domain);
        _signer = signer;
        _domain = domain;
        _options = (options ?? new TcpTransportOptions()).ValidateAndCopy();
        _logger = logger ?? NullLogger.Instance;
        _policy = new ConnectPolicy(_options, _logger);
        _configure = configureWebSocket;
        _noiseKey = _options.Encryption == TransportEncryption.None ? null : _options.NoiseKey ?? NoiseStaticKey.Create();
    }

    /// <summary>Our Noise static key's public half (the hub learns it in the handshake), or <see langword="null"/> in plaintext mode.</summary>
    public NoisePublicKey? NoiseKey => _noiseKey?.PublicKey;

    /// <summary>
    /// Opens a WebSocket to the hub, runs the Noise handshake with the hub's static key (unless the transport is
    /// plaintext), and authenticates the peer's address inside the session, retrying transient failures.
    /// </summary>
    /// <param name="hub">The endpoint's URI and the hub's Noise key (<see cref="WebSocketPeerAddress.Parse"/> of <c>key@wss://host/path</c>).</param>
    /// <param name="expectedPeer">The address the hub must prove; <see langword="null"/> accepts any authenticated peer.</param>
    /// <param name="cancellationToken">Cancels the connect, including retries and backoff delays.</param>
    /// <returns>A connection whose <see cref="WebSocketMessageConnection.Peer"/> is authenticated; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="hub"/> is null.</exception>
    /// <exception cref="ArgumentException">The transport is encrypted and <paramref name="hub"/> has no Noise key.</exception>
    /// <exception cref="HandshakeException">The hub failed authentication, is not <paramref name="expectedPeer"/>, or refused us.</exception>
    /// <exception cref="StateChannelException">
    /// The hub stayed unreachable or refused the upgrade through every attempt (<see cref="ErrorCode.PeerUnavailable"/>; also what
    /// a hub with another Noise key looks like: it drops us silently), or the connect timeout passed (<see cref="ErrorCode.Timeout"/>).
    /// </exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async ValueTask<WebSocketMessageConnection> ConnectAsync(WebSocketPeerAddress hub, EthAddress? expectedPeer = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(hub);
        if (_noiseKey is not null && hub.NoiseKey is null)
        {
            throw new ArgumentException("An encrypted connection needs the hub's Noise key (key@wss://host/path); plaintext is for tests only.", nameof(hub));
        }

        return await _policy.ExecuteAsync(
            hub.Uri.GetLeftPart(UriPartial.Path),
            static (state, ct) => state.Dialer.AttemptAsync(state.Hub, state.ExpectedPeer, ct),
            (Dialer: this, Hub: hub, ExpectedPeer: expectedPeer),
            cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<WebSocketMessageConnection> AttemptAsync(WebSocketPeerAddress target, EthAddress? expectedPeer, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        bool handedOver = false;
        try
        {
            // Our own ping frames keep the connection (and any ingress idle timer) alive: no WebSocket pings on top.
            socket.Options.KeepAliveInterval = TimeSpan.Zero;
            _configure?.Invoke(socket.Options);
            try
            {
                await socket.ConnectAsync(target.Uri, cancellationToken).ConfigureAwait(false);
            }
            catch (WebSocketException e)
            {
                throw new StateChannelException(ErrorCode.PeerUnavailable, $"Could not open a WebSocket to {target.Uri.GetLeftPart(UriPartial.Path)}: {e.Message}", e);
            }

            AuthenticatedSession session = await HandshakeProtocol.RunAsync(
                new WebSocketByteStream(socket), _noiseKey, target.NoiseKey, _signer, _domain, isDialer: true, expectedPeer, _options, cancellationToken).ConfigureAwait(false);
            var remote = new DnsEndPoint(target.Uri.IdnHost, target.Uri.Port);
            var connection = new TcpMessageConnection(() => WebSocketByteStream.Abort(socket), remote, session, _options, _logger, onClosed: null);
            handedOver = true;
            connection.Start();
            Log.Authenticated(_logger, session.Peer, remote);
            return new WebSocketMessageConnection(connection);
        }
        finally
        {
            if (!handedOver)
            {
                WebSocketByteStream.Abort(socket);
            }
        }
    }
}
