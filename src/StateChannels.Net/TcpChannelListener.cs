using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StateChannels.Net.Authentication;
using StateChannels.Net.Limits;
using StateChannels.Net.Noise;

namespace StateChannels.Net;

/// <summary>
/// Accepts TCP connections from channel peers and hands out only those that pass the Noise handshake
/// (unless <see cref="TransportEncryption.None"/>; dialers need <see cref="PeerAddress"/>) and the
/// authentication handshake inside it. Listening starts at construction; handshakes run concurrently in the
/// background, each bounded by <see cref="TcpTransportOptions.HandshakeTimeout"/>, and a failed
/// handshake (bad signature, garbage, wrong magic or version, timeout) is logged and dropped without
/// ever disturbing the accept loop or other connections. Connections beyond
/// <see cref="TcpTransportOptions.MaxConnections"/> or <see cref="TcpTransportOptions.MaxConnectionsPerAddress"/>
/// are closed on arrival. Thread-safe.
/// </summary>
public sealed class TcpChannelListener : IAsyncDisposable
{
    private readonly IChannelSigner _signer;
    private readonly Eip712Domain _domain;
    private readonly TcpTransportOptions _options;
    private readonly ILogger _logger;
    private readonly Socket _listenSocket;
    private readonly ConnectionLimiter _limiter;
    private readonly Channel<TcpMessageConnection> _accepted = System.Threading.Channels.Channel.CreateUnbounded<TcpMessageConnection>();
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<long, Task> _handshakes = new();
    private readonly Task _acceptLoop;
    private readonly NoiseStaticKey? _noiseKey;
    private readonly bool _ownsNoiseKey;
    private long _nextHandshakeId;
    private int _rejectedHandshakes;
    private int _disposed;

    /// <summary>Binds and starts listening.</summary>
    /// <param name="signer">Our channel signing key; answers peers' handshake challenges.</param>
    /// <param name="domain">The chain and adjudicator: the handshake's EIP-712 domain. Peers on another chain or contract fail to authenticate.</param>
    /// <param name="endPoint">Where to listen; <see langword="null"/> for 127.0.0.1 on a free port (see <see cref="LocalEndPoint"/>).</param>
    /// <param name="options">Limits and timeouts; <see langword="null"/> for the defaults. Validated and copied.</param>
    /// <param name="logger">Receives connection events; never keys or signatures.</param>
    /// <exception cref="ArgumentNullException"><paramref name="signer"/> or <paramref name="domain"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="SocketException">The end point cannot be bound.</exception>
    public TcpChannelListener(IChannelSigner signer, Eip712Domain domain, IPEndPoint? endPoint = null, TcpTransportOptions? options = null, ILogger? logger = null)
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
        endPoint ??= new IPEndPoint(IPAddress.Loopback, 0);
        _listenSocket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            _listenSocket.Bind(endPoint);
            _listenSocket.Listen(512);
        }
        catch
        {
            _listenSocket.Dispose();
            throw;
        }

        LocalEndPoint = (IPEndPoint)_listenSocket.LocalEndPoint!;
        PeerAddress = new TcpPeerAddress(LocalEndPoint, NoiseKey);
        Log.Listening(_logger, LocalEndPoint);
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>The bound end point (with the actual port when port 0 was asked for).</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Our Noise static public key, which every dialer needs (Noise_XK); <see langword="null"/> in plaintext mode.
    /// Fresh at every start unless <see cref="TcpTransportOptions.NoiseKey"/> is set.</summary>
    public NoisePublicKey? NoiseKey => _noiseKey?.PublicKey;

    /// <summary>What a dialer needs to reach us: <see cref="LocalEndPoint"/> and <see cref="NoiseKey"/>, as <c>key@host:port</c>.
    /// Publish it to peers (a wildcard bind address must be replaced by a reachable one).</summary>
    public TcpPeerAddress PeerAddress { get; }

    /// <summary>Connections from this listener open now: handshakes in progress, authenticated connections
    /// waiting to be accepted, and accepted connections until they close.</summary>
    public int ConnectionCount => _limiter.Count;

    /// <summary>Handshakes that failed since the listener started (diagnostics and tests).</summary>
    internal int RejectedHandshakes => Volatile.Read(ref _rejectedHandshakes);

    /// <summary>Waits for the next authenticated connection. The caller owns (and disposes) it.</summary>
    /// <param name="cancellationToken">Cancels the wait; the listener keeps running.</param>
    /// <returns>A connection whose <see cref="TcpMessageConnection.Peer"/> is authenticated.</returns>
    /// <exception cref="ObjectDisposedException">The listener is disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async ValueTask<TcpMessageConnection> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await _accepted.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException e)
        {
            throw new ObjectDisposedException(nameof(TcpChannelListener), e);
        }
    }

    /// <summary>Every authenticated connection as it arrives, until the listener is disposed or the enumeration cancelled.</summary>
    /// <param name="cancellationToken">Ends the enumeration.</param>
    /// <returns>The connections; the caller owns (and disposes) each.</returns>
    public async IAsyncEnumerable<TcpMessageConnection> AcceptAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (TcpMessageConnection connection in _accepted.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return connection;
        }
    }

    /// <summary>
    /// Stops listening, aborts handshakes in progress and closes authenticated connections nobody accepted.
    /// Connections already accepted belong to the caller and stay open. Idempotent.
    /// </summary>
    /// <returns>A task that completes when the background work has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        _listenSocket.Dispose();
        await _acceptLoop.ConfigureAwait(false);
        await Task.WhenAll(_handshakes.Values).ConfigureAwait(false);
        _accepted.Writer.TryComplete();
        while (_accepted.Reader.TryRead(out TcpMessageConnection? unclaimed))
        {
            await unclaimed.DisposeAsync().ConfigureAwait(false);
        }

        if (_ownsNoiseKey)
        {
            _noiseKey!.Dispose();
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listenSocket.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException e)
            {
                // E.g. out of file descriptors: back off briefly instead of spinning.
                Log.AcceptFailed(_logger, e);
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(50), _options.TimeProvider, _stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            StartHandshake(socket);
        }
    }

    private void StartHandshake(Socket socket)
    {
        EndPoint? remote;
        try
        {
            remote = socket.RemoteEndPoint;
        }
        catch (SocketException)
        {
            socket.Dispose();
            return;
        }

        if (remote is not IPEndPoint ip)
        {
            socket.Dispose();
            return;
        }

        IPAddress address = ConnectionLimiter.Normalize(ip.Address);
        if (!_limiter.TryAcquire(address))
        {
            Log.ConnectionLimitReached(_logger, remote);
            socket.Dispose();
            return;
        }

        // Registered before it starts, so that DisposeAsync always waits for it.
        long id = Interlocked.Increment(ref _nextHandshakeId);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _handshakes[id] = done.Task;
        _ = Task.Run(async () =>
        {
            try
            {
                await HandshakeAsync(socket, remote, address).ConfigureAwait(false);
            }
            finally
            {
                _handshakes.TryRemove(id, out Task? _);
                done.SetResult();
            }
        });
    }

    private async Task HandshakeAsync(Socket socket, EndPoint? remote, IPAddress address)
    {
        socket.NoDelay = true;
        var stream = new NetworkStream(socket, ownsSocket: true);
        bool handedOver = false;
        try
        {
            AuthenticatedSession session = await HandshakeProtocol.RunAsync(
                stream, _noiseKey, null, _signer, _domain, isDialer: false, expectedPeer: null, _options, _stop.Token).ConfigureAwait(false);
            var connection = new TcpMessageConnection(socket, session, _options, _logger, () => _limiter.Release(address));
            handedOver = true;
            connection.Start();
            Log.Authenticated(_logger, session.Peer, remote);
            if (!_accepted.Writer.TryWrite(connection))
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
        catch (HandshakeException e)
        {
            Interlocked.Increment(ref _rejectedHandshakes);
            Log.HandshakeFailed(_logger, remote, e.Failure, e);
        }
        catch (OperationCanceledException)
        {
            // The listener is stopping.
        }
        catch (Exception e)
        {
            // E.g. the signer failed: drop this connection, keep serving.
            Interlocked.Increment(ref _rejectedHandshakes);
            Log.HandshakeError(_logger, remote, e);
        }
        finally
        {
            if (!handedOver)
            {
                socket.Dispose();
                _limiter.Release(address);
            }
        }
    }
}
