namespace StateChannels.Net;

/// <summary>
/// Limits and timeouts of the TCP transport. A plain settings bag: the listener and the dialer
/// validate it once and take a snapshot at construction, so changing it afterwards has no effect.
/// Both ends of a connection should use the same <see cref="MaxFrameSize"/> and compatible
/// keepalive settings (<see cref="ReceiveIdleTimeout"/> longer than the peer's <see cref="KeepAliveInterval"/>).
/// </summary>
public sealed class TcpTransportOptions
{
    /// <summary>How connections are encrypted. Default <see cref="TransportEncryption.Noise"/> (BOLT 8). Both ends must agree.
    /// <para><b>Warning:</b> <see cref="TransportEncryption.None"/> sends everything in clear, for tests only: never set it
    /// for connections that cross a network.</para></summary>
    public TransportEncryption Encryption { get; set; } = TransportEncryption.Noise;

    /// <summary>This node's Noise static key (see <see cref="TcpPeerAddress"/>). Default <see langword="null"/>: each listener and
    /// dialer creates a fresh one, so a listener's key changes at every start. Set it (and keep it, like the channel key) when
    /// dialers are configured with the listener's key. Not owned: the caller disposes it after the listeners and dialers.</summary>
    public Noise.NoiseStaticKey? NoiseKey { get; set; }

    /// <summary>Largest data frame accepted or sent, in bytes (payload only, without the 5-byte header). Default 64 KiB; 1 byte to 16 MiB.
    /// A peer that declares a larger frame is disconnected before anything is allocated for it.</summary>
    public int MaxFrameSize { get; set; } = 64 * 1024;

    /// <summary>Time allowed for the whole authentication handshake (hello, signed answers), per connection. Default 5 s.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A ping frame is sent when nothing has been sent for this long, so that an idle but healthy
    /// connection still carries traffic. Default 10 s. Pings and pongs never surface to
    /// <see cref="TcpMessageConnection.ReceiveAsync"/>.</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The connection is dropped when no frame at all (data, ping or pong) has arrived for this long: it detects
    /// half-open and blackholed peers (THREATS D5). Not counted while the application is not reading and the receive
    /// queue is full. Default 30 s; must exceed <see cref="KeepAliveInterval"/> (three times it is a good choice).</summary>
    public TimeSpan ReceiveIdleTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Once the first byte of a frame has arrived, the whole frame must arrive within this time, or the connection
    /// is dropped (slowloris, THREATS D6). Default 10 s.</summary>
    public TimeSpan FrameReadTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A single socket write that does not complete within this time (the peer stopped reading) drops the
    /// connection. Default 30 s.</summary>
    public TimeSpan SendTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>On <see cref="TcpMessageConnection.DisposeAsync"/>, time allowed to flush frames already queued and a
    /// close frame before the socket is closed anyway. Default 1 s; zero closes at once.</summary>
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Sustained inbound rate allowed per connection, in frames per second (all kinds, pings included).
    /// A peer above it (after <see cref="InboundFrameBurst"/>) is disconnected (THREATS D6). Default 5,000.</summary>
    public double InboundFramesPerSecond { get; set; } = 5000;

    /// <summary>Inbound frames a connection may send at once above the sustained rate (token bucket size). Default 10,000.</summary>
    public int InboundFrameBurst { get; set; } = 10000;

    /// <summary>Listener only: most connections open at once, counting those still in the handshake. Further connections
    /// are closed as soon as they are accepted. Default 1,024.</summary>
    public int MaxConnections { get; set; } = 1024;

    /// <summary>Listener only: most connections open at once from one remote IP address, counting those still in the
    /// handshake. Default 32.</summary>
    public int MaxConnectionsPerAddress { get; set; } = 32;

    /// <summary>Data frames queued for sending per connection; <see cref="TcpMessageConnection.SendAsync"/> waits while the
    /// queue is full. Bounds the memory a slow peer can pin to about this many times <see cref="MaxFrameSize"/>. Default 64.</summary>
    public int SendQueueCapacity { get; set; } = 64;

    /// <summary>Data frames received but not yet taken by <see cref="TcpMessageConnection.ReceiveAsync"/>; when full, the
    /// transport stops reading from the socket (TCP back-pressure). Default 64.</summary>
    public int ReceiveQueueCapacity { get; set; } = 64;

    /// <summary>Dialer only: retries after a failed connection attempt (refused, lost, handshake timeout); 0 disables retries.
    /// Authentication failures are never retried. Default 5.</summary>
    public int ConnectRetryAttempts { get; set; } = 5;

    /// <summary>Dialer only: delay before the first retry; each further retry doubles it, with jitter. Default 200 ms.</summary>
    public TimeSpan ConnectRetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Dialer only: cap on the delay between retries. Default 5 s.</summary>
    public TimeSpan ConnectRetryMaxDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Dialer only: total time for <see cref="TcpChannelDialer.ConnectAsync(TcpPeerAddress, EthAddress?, CancellationToken)"/>, all attempts and delays included. Default 30 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The clock for every timeout, keepalive and rate limit. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Checks every value and returns an independent copy.</summary>
    internal TcpTransportOptions ValidateAndCopy()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxFrameSize, 1, nameof(MaxFrameSize));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxFrameSize, 16 * 1024 * 1024, nameof(MaxFrameSize));
        Positive(HandshakeTimeout, nameof(HandshakeTimeout));
        Positive(KeepAliveInterval, nameof(KeepAliveInterval));
        Positive(ReceiveIdleTimeout, nameof(ReceiveIdleTimeout));
        Positive(FrameReadTimeout, nameof(FrameReadTimeout));
        Positive(SendTimeout, nameof(SendTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(CloseTimeout, TimeSpan.Zero, nameof(CloseTimeout));
        if (ReceiveIdleTimeout <= KeepAliveInterval)
        {
            throw new ArgumentOutOfRangeException(nameof(ReceiveIdleTimeout), ReceiveIdleTimeout, "ReceiveIdleTimeout must exceed KeepAliveInterval.");
        }

        if (!(InboundFramesPerSecond > 0) || double.IsNaN(InboundFramesPerSecond))
        {
            throw new ArgumentOutOfRangeException(nameof(InboundFramesPerSecond), InboundFramesPerSecond, "Must be positive.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(InboundFrameBurst, 1, nameof(InboundFrameBurst));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxConnections, 1, nameof(MaxConnections));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxConnectionsPerAddress, 1, nameof(MaxConnectionsPerAddress));
        ArgumentOutOfRangeException.ThrowIfLessThan(SendQueueCapacity, 1, nameof(SendQueueCapacity));
        ArgumentOutOfRangeException.ThrowIfLessThan(ReceiveQueueCapacity, 1, nameof(ReceiveQueueCapacity));
        ArgumentOutOfRangeException.ThrowIfNegative(ConnectRetryAttempts, nameof(ConnectRetryAttempts));
        Positive(ConnectRetryDelay, nameof(ConnectRetryDelay));
        if (ConnectRetryMaxDelay < ConnectRetryDelay)
        {
            throw new ArgumentOutOfRangeException(nameof(ConnectRetryMaxDelay), ConnectRetryMaxDelay, "Must be at least ConnectRetryDelay.");
        }

        Positive(ConnectTimeout, nameof(ConnectTimeout));
        if (!Enum.IsDefined(Encryption))
        {
            throw new ArgumentOutOfRangeException(nameof(Encryption), Encryption, "Unknown encryption mode.");
        }

        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
        return (TcpTransportOptions)MemberwiseClone();
    }

    private static void Positive(TimeSpan value, string name)
    {
        // Timers and cancellation accept at most int.MaxValue - 1 milliseconds (about 24.8 days).
        if (value <= TimeSpan.Zero || value.TotalMilliseconds >= int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(name, value, "Must be positive and under 24 days.");
        }
    }
}
