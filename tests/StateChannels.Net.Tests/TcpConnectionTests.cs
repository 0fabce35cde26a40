using StateChannels.Net.Framing;
using StateChannels.Net.Tests.Support;

namespace StateChannels.Net.Tests;

public abstract class TcpConnectionTests : TransportTest
{
    protected TcpConnectionTests(TransportEncryption mode)
        : base(mode)
    {
    }

    [Fact]
    public async Task Flood_PeerAboveRateLimit_DroppedWithoutAffectingAnotherConnection()
    {
        var options = Fast(o =>
        {
            o.InboundFramesPerSecond = 200;
            o.InboundFrameBurst = 200;
        });
        using var server = new Identity();
        using var flooder = new Identity();
        using var honest = new Identity();
        await using var listener = new TcpChannelListener(server.Signer, Identity.Domain, options: options);
        await using TcpMessageConnection flooderSide = await new TcpChannelDialer(flooder.Signer, Identity.Domain, options).ConnectAsync(listener.PeerAddress, server.Address);
        await using TcpMessageConnection flooded = await listener.AcceptAsync();
        await using TcpMessageConnection honestSide = await new TcpChannelDialer(honest.Signer, Identity.Domain, options).ConnectAsync(listener.PeerAddress, server.Address);
        await using TcpMessageConnection served = await listener.AcceptAsync();
        Assert.Equal(flooder.Address, flooded.Peer);

        Task flood = Task.Run(async () =>
        {
            try
            {
                for (int i = 0; i < 50_000; i++)
                {
                    await flooderSide.SendAsync(new byte[16]);
                }
            }
            catch (StateChannelException e) when (e.Code == ErrorCode.PeerUnavailable)
            {
                // Dropped by the server, as it should be.
            }
        });
        int received = await Eventually.DrainUntilClosedAsync(flooded);
        await flood.WaitAsync(TestOptions.Patience);

        Assert.Equal(CloseReason.RateLimited, flooded.CloseReason);
        Assert.InRange(received, 1, 50_000 - 1);
        for (int i = 0; i < 5; i++)
        {
            await honestSide.SendAsync(new[] { (byte)i });
            Assert.Equal(new[] { (byte)i }, (await served.ReceiveAsync())!.Value.ToArray());
        }

        Assert.Equal(CloseReason.None, served.CloseReason);
    }

    [Fact]
    public async Task HalfOpenPeer_StopsAnswering_IdleTimeoutDropsItAndReleasesResources()
    {
        await using var session = await RawSession.StartAsync(Fast());
        var (raw, accepted) = session;

        // The raw peer now neither reads nor answers pings: a blackholed peer.
        Assert.Null(await accepted.ReceiveAsync().AsTask().WaitAsync(TestOptions.Patience));

        Assert.Equal(CloseReason.IdleTimeout, accepted.CloseReason);
        await accepted.Completion.WaitAsync(TestOptions.Patience);
        await Eventually.TrueAsync(() => session.Listener.ConnectionCount == 0, "the slot is released");
        var error = await Assert.ThrowsAsync<StateChannelException>(() => accepted.SendAsync(new byte[1]).AsTask());
        Assert.Equal(ErrorCode.PeerUnavailable, error.Code);
    }

    [Fact]
    public async Task SlowConsumer_PeerPingsButNeverReads_SendTimeoutDropsIt()
    {
        var options = Fast(o => o.SendTimeout = TimeSpan.FromSeconds(1));
        await using var session = await RawSession.StartAsync(options);
        var (raw, accepted) = session;
        using var stop = new CancellationTokenSource();

        // The peer keeps the idle timer happy with pings, but never reads a byte.
        Task pinging = Task.Run(async () =>
        {
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    await raw.SendFrameAsync(FrameKind.Ping, []);
                    await Task.Delay(100);
                }
            }
            catch (IOException)
            {
                // Dropped.
            }
        });
        var frame = new byte[options.MaxFrameSize];
        using var patience = new CancellationTokenSource(TestOptions.Patience);
        StateChannelException? error = null;
        try
        {
            for (int i = 0; i < 100_000; i++)
            {
                await accepted.SendAsync(frame, patience.Token);
            }
        }
        catch (StateChannelException e)
        {
            error = e;
        }

        await stop.CancelAsync();
        await pinging;
        Assert.Equal(ErrorCode.PeerUnavailable, error?.Code);
        Assert.Equal(CloseReason.SendTimeout, accepted.CloseReason);
    }

    [Fact]
    public async Task Keepalive_IdleButHealthyConnection_OutlivesIdleTimeout()
    {
        await using TcpPair pair = await TcpPair.CreateAsync(Fast());

        // Three idle timeouts with no data: only pings keep it alive.
        await Task.Delay(Fast().ReceiveIdleTimeout * 3);

        Assert.Equal(CloseReason.None, pair.ServerSide.CloseReason);
        Assert.Equal(CloseReason.None, pair.ClientSide.CloseReason);
        await pair.ClientSide.SendAsync("alive"u8.ToArray());
        Assert.Equal("alive"u8.ToArray(), (await pair.ServerSide.ReceiveAsync())!.Value.ToArray());
    }

    [Fact]
    public async Task SlowReader_QueueFull_IsNotMistakenForAnIdlePeer()
    {
        var options = Fast(o => o.ReceiveQueueCapacity = 4);
        await using TcpPair pair = await TcpPair.CreateAsync(options);
        for (int i = 0; i < 20; i++)
        {
            await pair.ClientSide.SendAsync(new[] { (byte)i });
        }

        // Nobody reads for longer than the idle timeout; the sender's frames wait in TCP buffers.
        await Task.Delay(options.ReceiveIdleTimeout * 2);

        for (int i = 0; i < 20; i++)
        {
            Assert.Equal(new[] { (byte)i }, (await pair.ServerSide.ReceiveAsync())!.Value.ToArray());
        }

        Assert.Equal(CloseReason.None, pair.ServerSide.CloseReason);
    }

    [Fact]
    public async Task Dispose_FlushesQueuedFramesThenPeerReceivesNull()
    {
        await using TcpPair pair = await TcpPair.CreateAsync(Fast());
        for (int i = 0; i < 100; i++)
        {
            await pair.ClientSide.SendAsync(new[] { (byte)i });
        }

        await pair.ClientSide.DisposeAsync();

        Assert.Equal(100, await Eventually.DrainUntilClosedAsync(pair.ServerSide));
        Assert.Equal(CloseReason.PeerClosed, pair.ServerSide.CloseReason);
        Assert.Equal(CloseReason.Local, pair.ClientSide.CloseReason);
        Assert.Null(await pair.ClientSide.ReceiveAsync());
        var error = await Assert.ThrowsAsync<StateChannelException>(() => pair.ClientSide.SendAsync(new byte[1]).AsTask());
        Assert.Equal(ErrorCode.PeerUnavailable, error.Code);
        await pair.ClientSide.DisposeAsync();
        await Eventually.TrueAsync(() => pair.Listener.ConnectionCount == 0, "the server releases the slot");
    }

    [Fact]
    public async Task Dispose_WhileReceiveIsPending_ReceiveReturnsNull()
    {
        await using TcpPair pair = await TcpPair.CreateAsync(Fast());
        ValueTask<ReadOnlyMemory<byte>?> pending = pair.ServerSide.ReceiveAsync();

        await pair.ServerSide.DisposeAsync();

        Assert.Null(await pending);
        Assert.Equal(0, await Eventually.DrainUntilClosedAsync(pair.ClientSide));
    }

    [Fact]
    public async Task PeerVanishes_ReceiveReturnsNullAndSendThrowsPeerUnavailable()
    {
        await using var session = await RawSession.StartAsync(Fast());
        var (raw, accepted) = session;

        await raw.DisposeAsync();

        Assert.Null(await accepted.ReceiveAsync().AsTask().WaitAsync(TestOptions.Patience));
        var error = await Assert.ThrowsAsync<StateChannelException>(() => accepted.SendAsync(new byte[1]).AsTask());
        Assert.Equal(ErrorCode.PeerUnavailable, error.Code);
    }

    [Fact]
    public async Task Listener_PerAddressLimit_RefusesExtraConnectionsUntilOneCloses()
    {
        var options = Fast(o => o.MaxConnectionsPerAddress = 2);
        using var server = new Identity();
        using var client = new Identity();
        await using var listener = new TcpChannelListener(server.Signer, Identity.Domain, options: options);
        var dialer = new TcpChannelDialer(client.Signer, Identity.Domain, options);
        TcpMessageConnection first = await dialer.ConnectAsync(listener.PeerAddress, server.Address);
        await using TcpMessageConnection second = await dialer.ConnectAsync(listener.PeerAddress, server.Address);

        var error = await Assert.ThrowsAsync<HandshakeException>(() => dialer.ConnectAsync(listener.PeerAddress, server.Address).AsTask());
        Assert.Equal(ErrorCode.PeerUnavailable, error.Code);

        await first.DisposeAsync();
        await Eventually.TrueAsync(() => listener.ConnectionCount == 1, "the first slot is released");
        await using TcpMessageConnection third = await dialer.ConnectAsync(listener.PeerAddress, server.Address);
        Assert.Equal(server.Address, third.Peer);
    }

    [Fact]
    public async Task Listener_TotalLimit_RefusesExtraConnections()
    {
        var options = Fast(o => o.MaxConnections = 1);
        using var server = new Identity();
        using var client = new Identity();
        await using var listener = new TcpChannelListener(server.Signer, Identity.Domain, options: options);
        var dialer = new TcpChannelDialer(client.Signer, Identity.Domain, options);
        await using TcpMessageConnection first = await dialer.ConnectAsync(listener.PeerAddress, server.Address);

        await Assert.ThrowsAsync<HandshakeException>(() => dialer.ConnectAsync(listener.PeerAddress, server.Address).AsTask());
        Assert.Equal(1, listener.ConnectionCount);
    }

    [Fact]
    public async Task Listener_Dispose_ClosesUnacceptedConnectionsAndEndsAccept()
    {
        using var server = new Identity();
        using var client = new Identity();
        var listener = new TcpChannelListener(server.Signer, Identity.Domain, options: Fast());
        await using TcpMessageConnection connection = await new TcpChannelDialer(client.Signer, Identity.Domain, Fast()).ConnectAsync(listener.PeerAddress, server.Address);

        await listener.DisposeAsync();

        Assert.Null(await connection.ReceiveAsync().AsTask().WaitAsync(TestOptions.Patience));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => listener.AcceptAsync().AsTask());
        Assert.Equal(0, listener.ConnectionCount);
    }

    [Fact]
    public void Options_OutOfRange_RejectedAtConstruction()
    {
        using var server = new Identity();
        Assert.Throws<ArgumentOutOfRangeException>(() => new TcpChannelDialer(server.Signer, Identity.Domain, new TcpTransportOptions { MaxFrameSize = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TcpChannelDialer(server.Signer, Identity.Domain, new TcpTransportOptions { ReceiveIdleTimeout = TimeSpan.FromSeconds(1), KeepAliveInterval = TimeSpan.FromSeconds(2) }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TcpChannelListener(server.Signer, Identity.Domain, options: new TcpTransportOptions { InboundFramesPerSecond = double.NaN }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TcpChannelListener(server.Signer, Identity.Domain, options: new TcpTransportOptions { HandshakeTimeout = TimeSpan.Zero }));
    }

    [Fact]
    public async Task Options_ChangedAfterConstruction_HaveNoEffect()
    {
        var options = Fast();
        await using TcpPair pair = await TcpPair.CreateAsync(options);

        options.MaxFrameSize = 1;

        await pair.ClientSide.SendAsync(new byte[100]);
        Assert.Equal(100, (await pair.ServerSide.ReceiveAsync())!.Value.Length);
    }
}

/// <summary>Over Noise (the default).</summary>
public sealed class TcpConnectionTestsNoise() : TcpConnectionTests(TransportEncryption.Noise);

/// <summary>In plaintext.</summary>
public sealed class TcpConnectionTestsPlain() : TcpConnectionTests(TransportEncryption.None);
