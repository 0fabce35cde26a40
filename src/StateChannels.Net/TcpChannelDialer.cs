using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StateChannels.Net.Authentication;
using StateChannels.Net.Noise;

namespace StateChannels.Net;

/// <summary>
/// Opens encrypted (Noise, BOLT 8) and authenticated connections to channel peers. Each <see cref="ConnectAsync(TcpPeerAddress, EthAddress?, CancellationToken)"/> runs through a
/// Polly resilience pipeline: transient failures (refused, reset, handshake timeout) are retried with
/// exponential backoff and jitter up to <see cref="TcpTransportOptions.ConnectRetryAttempts"/>, all
/// within <see cref="TcpTransportOptions.ConnectTimeout"/>; authentication failures are never retried.
/// Immutable and thread-safe: one dialer serves any number of concurrent connects.
/// </summary>
public sealed class TcpChannelDialer
{
    private readonly IChannelSigner _signer;
    private readonly Eip712Domain _domain;
    private readonly TcpTransportOptions _options;
    private readonly ILogger _logger;
    private readonly ConnectPolicy _policy;
    private readonly NoiseStaticKey? _noiseKey;

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
        _policy = new ConnectPolicy(_options, _logger);
        _noiseKey = _options.Encryption == TransportEncryption.None ? null : _options.NoiseKey ?? NoiseStaticKey.Create();
    }

    /// <summary>Our Noise static key's public half (listeners learn it in the handshake), or <see langword="null"/> in plaintext mode.</summary>
    public NoisePublicKey? NoiseKey => _noiseKey?.PublicKey;

    /// <summary>Connects to a listener at a bare end point: plaintext mode only (<see cref="TransportEncryption.None"/>).</summary>
    /// <param name="endPoint">The listener's address.</param>
    /// <param name="expectedPeer">The address the peer must prove; <see langword="null"/> accepts any authenticated peer.</param>
    /// <param name="cancellationToken">Cancels the connect, including retries and backoff delays.</param>
    /// <returns>A connection whose <see cref="TcpMessageConnection.Peer"/> is authenticated; the caller disposes it.</returns>
    /// <exception cref="ArgumentException">The transport is encrypted: use the <see cref="TcpPeerAddress"/> overload, with the listener's Noise key.</exception>
    /// <exception cref="HandshakeException">See <see cref="ConnectAsync(TcpPeerAddress, EthAddress?, CancellationToken)"/>.</exception>
    /// <exception cref="StateChannelException">See <see cref="ConnectAsync(TcpPeerAddress, EthAddress?, CancellationToken)"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public ValueTask<TcpMessageConnection> ConnectAsync(EndPoint endPoint, EthAddress? expectedPeer = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        return ConnectAsync(new TcpPeerAddress(endPoint, null), expectedPeer, cancellationToken);
    }

    /// <summary>
    /// Connects to a listener, runs the Noise handshake with the listener's static key (unless the transport is
    /// plaintext), and authenticates the peer's address inside the session, retrying transient failures.
    /// </summary>
    /// <param name="peer">The listener's end point and Noise static key (e.g. <see cref="TcpChannelListener.PeerAddress"/>,
    /// or <see cref="TcpPeerAddress.Parse"/> of <c>key@host:port</c>).</param>
    /// <param name="expectedPeer">The address the peer must prove; <see langword="null"/> accepts any authenticated peer.</param>
    /// <param name="cancellationToken">Cancels the connect, including retries and backoff delays.</param>
    /// <returns>A connection whose <see cref="TcpMessageConnection.Peer"/> is authenticated; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="peer"/> is null.</exception>
    /// <exception cref="ArgumentException">The transport is encrypted and <paramref name="peer"/> has no Noise key.</exception>
    /// <exception cref="HandshakeException">The peer failed authentication, is not <paramref name="expectedPeer"/>, or refused us.</exception>
    /// <exception cref="StateChannelException">
    /// The peer stayed unreachable through every attempt (<see cref="ErrorCode.PeerUnavailable"/>; also what a listener
    /// with another Noise key looks like: it drops us silently), or <see cref="TcpTransportOptions.ConnectTimeout"/>
    /// passed (<see cref="ErrorCode.Timeout"/>).
    /// </exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async ValueTask<TcpMessageConnection> ConnectAsync(TcpPeerAddress peer, EthAddress? expectedPeer = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(peer);
        if (_noiseKey is not null && peer.NoiseKey is null)
        {
            throw new ArgumentException("An encrypted connection needs the listener's Noise key (key@host:port); plaintext is for tests only.", nameof(peer));
        }

        return await _policy.ExecuteAsync(
            peer.EndPoint.ToString() ?? "peer",
            static (state, ct) => state.Dialer.AttemptAsync(state.Peer, state.ExpectedPeer, ct),
            (Dialer: this, Peer: peer, ExpectedPeer: expectedPeer),
            cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<TcpMessageConnection> AttemptAsync(TcpPeerAddress target, EthAddress? expectedPeer, CancellationToken cancellationToken)
    {
        EndPoint endPoint = target.EndPoint;
        Socket socket = endPoint.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6
            ? new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
            : new Socket(SocketType.Stream, ProtocolType.Tcp);
        socket.NoDelay = true;
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
            AuthenticatedSession session = await HandshakeProtocol.RunAsync(
                stream, _noiseKey, target.NoiseKey, _signer, _domain, isDialer: true, expectedPeer, _options, cancellationToken).ConfigureAwait(false);
            var connection = new TcpMessageConnection(socket, session, _options, _logger, onClosed: null);
            handedOver = true;
            connection.Start();
            Log.Authenticated(_logger, session.Peer, connection.RemoteEndPoint);
            return connection;
        }
        finally
        {
            if (!handedOver)
            {
                socket.Dispose();
            }
        }
    }
}
