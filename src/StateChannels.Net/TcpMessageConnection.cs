using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using StateChannels.Net.Authentication;
using StateChannels.Net.Framing;
using StateChannels.Net.Limits;
using StateChannels.Net.Noise;

namespace StateChannels.Net;

/// <summary>
/// An authenticated (and, unless <see cref="TransportEncryption.None"/>, Noise-encrypted) TCP connection to one peer, obtained from <see cref="TcpChannelListener"/> or
/// <see cref="TcpChannelDialer"/> once the peer has proven control of <see cref="Peer"/>. (The same implementation, over any byte
/// stream, also carries the WebSocket transport of StateChannels.Net.WebSockets: one home for framing, limits and keepalive.)
/// <para>Contract: <see cref="SendAsync"/> may be called concurrently (frames are queued and
/// written in order by one writer); <see cref="ReceiveAsync"/> by one reader at a time. The
/// connection keeps itself alive with ping frames and drops a peer that goes silent, sends an
/// oversized, malformed or never-ending frame, floods, or stops reading
/// (<see cref="TcpTransportOptions"/>). Socket errors never escape: sends throw
/// <see cref="StateChannelException"/> (<see cref="ErrorCode.PeerUnavailable"/>), receives return
/// <see langword="null"/>.</para>
/// </summary>
public sealed partial class TcpMessageConnection : IMessageConnection
{
    private readonly Action _closeTransport;
    private readonly Stream _stream;
    private readonly NoiseStream? _noise;
    private readonly FrameReader _frames;
    private readonly TcpTransportOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TokenBucket _inboundRate;
    private readonly Channel<Frame> _inbound;
    private readonly Channel<Frame> _outbound;
    private readonly SemaphoreSlim _sendSlots;
    private readonly CancellationTokenSource _closeCts = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Action? _onClosed;
    private ITimer? _watchdog;
    private Task _readLoop = Task.CompletedTask;
    private Task _writeLoop = Task.CompletedTask;
    private int _closing;
    private int _closed;
    private int _closeReason;

    internal TcpMessageConnection(
        Socket socket,
        AuthenticatedSession session,
        TcpTransportOptions options,
        ILogger logger,
        Action? onClosed)
        : this(() => CloseSocket(socket), SafeRemoteEndPoint(socket), session, options, logger, onClosed)
    {
    }

    /// <summary>A connection over any byte stream (<paramref name="session"/>'s); <paramref name="closeTransport"/> tears
    /// the underlying transport down at once (must be idempotent and never throw).</summary>
    internal TcpMessageConnection(
        Action closeTransport,
        EndPoint? remoteEndPoint,
        AuthenticatedSession session,
        TcpTransportOptions options,
        ILogger logger,
        Action? onClosed)
    {
        _closeTransport = closeTransport;
        _stream = session.Stream;
        _noise = session.Stream as NoiseStream;
        _frames = session.Frames;
        _options = options;
        _time = options.TimeProvider;
        _logger = logger;
        _onClosed = onClosed;
        Peer = session.Peer;
        PeerNoiseKey = session.PeerNoiseKey;
        RemoteEndPoint = remoteEndPoint;
        _inboundRate = new TokenBucket(_time, options.InboundFramesPerSecond, options.InboundFrameBurst);
        _inbound = System.Threading.Channels.Channel.CreateBounded<Frame>(new BoundedChannelOptions(options.ReceiveQueueCapacity)
        {
            SingleReader = false,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _outbound = System.Threading.Channels.Channel.CreateUnbounded<Frame>(new UnboundedChannelOptions { SingleReader = true });
        _sendSlots = new SemaphoreSlim(options.SendQueueCapacity, options.SendQueueCapacity);
    }

    /// <summary>The peer's authenticated address (its channel signing key's address).</summary>
    public EthAddress Peer { get; }

    /// <summary>The peer's Noise static key, proven in the encrypted handshake; <see langword="null"/> in plaintext mode.</summary>
    public NoisePublicKey? PeerNoiseKey { get; }

    /// <summary>The peer's end point, or <see langword="null"/> if the transport could not tell.</summary>
    public EndPoint? RemoteEndPoint { get; }

    /// <summary>Completes (never faults) once the connection is closed, by either side or by a limit.</summary>
    public Task Completion => _completion.Task;

    /// <summary>Why the connection ended; <see cref="CloseReason.None"/> while it is open.</summary>
    internal CloseReason CloseReason => (CloseReason)Volatile.Read(ref _closeReason);

    /// <summary>
    /// Closes the connection: frames already queued by <see cref="SendAsync"/> are flushed, followed by a
    /// close frame, for at most <see cref="TcpTransportOptions.CloseTimeout"/>; then the socket is closed and
    /// every buffer released. Pending and later receives return <see langword="null"/>; later sends throw.
    /// Idempotent, never throws.
    /// </summary>
    /// <returns>A task that completes when the connection is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _closing, 1) == 0 && Volatile.Read(ref _closed) == 0)
        {
            _outbound.Writer.TryWrite(Frame.Control(FrameKind.Close));
            _outbound.Writer.TryComplete();
            try
            {
                await _writeLoop.WaitAsync(_options.CloseTimeout, _time).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // The peer is not reading: close anyway.
            }
        }

        Abort(CloseReason.Local);
        await _readLoop.ConfigureAwait(false);
        await _writeLoop.ConfigureAwait(false);
        DrainQueues();
        _noise?.Dispose();
    }

    /// <summary>Starts the read and write loops and the watchdog once the handshake has succeeded.</summary>
    internal void Start()
    {
        long now = _time.GetTimestamp();
        _lastReceived = now;
        _lastSent = now;
        _readLoop = Task.Run(ReadLoopAsync);
        _writeLoop = Task.Run(WriteLoopAsync);
        TimeSpan tick = WatchdogPeriod(_options);
        _watchdog = _time.CreateTimer(static state => ((TcpMessageConnection)state!).OnWatchdog(), this, tick, tick);
        if (Volatile.Read(ref _closed) != 0)
        {
            _watchdog.Dispose();
        }
    }

    /// <summary>Drops the connection at once (idempotent, thread-safe, never throws).</summary>
    internal void Abort(CloseReason reason)
    {
        if (Interlocked.CompareExchange(ref _closed, 1, 0) != 0)
        {
            return;
        }

        Volatile.Write(ref _closeReason, (int)reason);
        Interlocked.Exchange(ref _closing, 1);
        _watchdog?.Dispose();
        _closeCts.Cancel();
        _inbound.Writer.TryComplete();
        _outbound.Writer.TryComplete();
        _closeTransport();
        if (reason is CloseReason.Local or CloseReason.PeerClosed or CloseReason.ConnectionLost)
        {
            Log.Closed(_logger, Peer, RemoteEndPoint, reason);
        }
        else
        {
            Log.Dropped(_logger, Peer, RemoteEndPoint, reason);
        }

        _onClosed?.Invoke();
        _completion.TrySetResult();
    }

    private static TimeSpan WatchdogPeriod(TcpTransportOptions options)
    {
        TimeSpan shortest = new[] { options.KeepAliveInterval, options.ReceiveIdleTimeout, options.FrameReadTimeout, options.SendTimeout }.Min();
        TimeSpan tick = shortest / 4;
        return tick < TimeSpan.FromMilliseconds(10) ? TimeSpan.FromMilliseconds(10) : tick;
    }

    private static void CloseSocket(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already gone.
        }

        socket.Dispose();
    }

    private static EndPoint? SafeRemoteEndPoint(Socket socket)
    {
        try
        {
            return socket.RemoteEndPoint;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return null;
        }
    }

    private void DrainQueues()
    {
        while (_outbound.Reader.TryRead(out Frame frame))
        {
            frame.Return();
        }

        while (_inbound.Reader.TryRead(out Frame frame))
        {
            frame.Return();
        }
    }

    private StateChannelException Unavailable() =>
        new(ErrorCode.PeerUnavailable, $"The connection to {Peer} is closed ({CloseReason}).");
}
