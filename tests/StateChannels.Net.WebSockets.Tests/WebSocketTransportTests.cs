using System.Net;
using StateChannels.Net.Framing;
using StateChannels.Net.Noise;
using StateChannels.Net.Tests.Support;
using StateChannels.Net.WebSockets.Tests.Support;

namespace StateChannels.Net.WebSockets.Tests;

/// <summary>The WebSocket transport through a real Kestrel server: handshake, Noise, limits and keepalive, as on TCP.</summary>
public sealed class WebSocketTransportTests
{
    [Theory]
    [InlineData(TransportEncryption.Noise)]
    [InlineData(TransportEncryption.None)]
    public async Task Connect_HonestPeers_AuthenticateAndExchangeFramesBothWays(TransportEncryption mode)
    {
        await using var hub = await KestrelHub.StartAsync(TestOptions.Fast(encryption: mode));
        using var client = new Identity();
        var dialer = new WebSocketChannelDialer(client.Signer, Identity.Domain, TestOptions.Fast(encryption: mode));

        await using WebSocketMessageConnection clientSide = await dialer.ConnectAsync(hub.PeerAddress, hub.Identity.Address);
        await using WebSocketMessageConnection serverSide = await hub.AcceptAsync();

        Assert.Equal(hub.Identity.Address, clientSide.Peer);
        Assert.Equal(client.Address, serverSide.Peer);
        Assert.Equal(mode == TransportEncryption.Noise ? dialer.NoiseKey : null, serverSide.PeerNoiseKey);
        Assert.Equal(mode == TransportEncryption.Noise ? hub.Server.NoiseKey : null, clientSide.PeerNoiseKey);
        for (int i = 0; i < 100; i++)
        {
            await clientSide.SendAsync(new byte[] { (byte)i, 1 });
            await serverSide.SendAsync(new byte[i * 300]);
        }

        for (int i = 0; i < 100; i++)
        {
            Assert.Equal(new byte[] { (byte)i, 1 }, (await serverSide.ReceiveAsync())!.Value.ToArray());
            Assert.Equal(i * 300, (await clientSide.ReceiveAsync())!.Value.Length);
        }

        Assert.Equal(1, hub.Server.ConnectionCount);
    }

    [Fact]
    public async Task Dispose_ClientSide_ServerSeesPeerClosedAndReleasesTheSlot()
    {
        await using var hub = await KestrelHub.StartAsync(TestOptions.Fast());
        using var client = new Identity();
        WebSocketMessageConnection clientSide = await new WebSocketChannelDialer(client.Signer, Identity.Domain, TestOptions.Fast()).ConnectAsync(hub.PeerAddress);
        await using WebSocketMessageConnection serverSide = await hub.AcceptAsync();

        await clientSide.SendAsync("last"u8.ToArray());
        await clientSide.DisposeAsync();

        Assert.Equal("last"u8.ToArray(), (await serverSide.ReceiveAsync())!.Value.ToArray());
        Assert.Null(await serverSide.ReceiveAsync().AsTask().WaitAsync(TestOptions.Patience));
        Assert.Equal(CloseReason.PeerClosed, serverSide.Inner.CloseReason);
        await Eventually.TrueAsync(() => hub.Server.ConnectionCount == 0, "the slot is released");
    }

    [Fact]
    public async Task Connect_WrongNoiseKey_ServerDropsDialerSilentlyAndServesNothing()
    {
        await using var hub = await KestrelHub.StartAsync(TestOptions.Fast());
        using var client = new Identity();
        using var otherKey = NoiseStaticKey.Create();
        var dialer = new WebSocketChannelDialer(client.Signer, Identity.Domain, TestOptions.Fast());

        var error = await Assert.ThrowsAsync<HandshakeException>(
            () => dialer.ConnectAsync(new WebSocketPeerAddress(hub.ChannelsUri, otherKey.PublicKey), hub.Identity.Address).AsTask());

        Assert.Equal(HandshakeFailure.ConnectionLost, error.Failure);
        Assert.Equal(ErrorCode.PeerUnavailable, error.Code);
        await Eventually.TrueAsync(() => hub.Server.RejectedHandshakes == 1, "the server refuses act one");
        await Eventually.TrueAsync(() => hub.Server.ConnectionCount == 0, "the slot is released");
        await using WebSocketMessageConnection honest = await dialer.ConnectAsync(hub.PeerAddress, hub.Identity.Address);
        Assert.Equal(hub.Identity.Address, honest.Peer);
    }

    [Fact]
    public async Task Connect_UnexpectedHubAddress_RefusedWithTypedError()
    {
        await using var hub = await KestrelHub.StartAsync(TestOptions.Fast());
        using var client = new Identity();
        using var someoneElse = new Identity();

        var error = await Assert.ThrowsAsync<HandshakeException>(
            () => new WebSocketChannelDialer(client.Signer, Identity.Domain, TestOptions.Fast()).ConnectAsync(hub.PeerAddress, someoneElse.Address).AsTask());

        Assert.Equal(HandshakeFailure.UnexpectedPeer, error.Failure);
    }

    [Fact]
    public async Task Connect_NothingListening_PeerUnavailableAfterRetries()
    {
        using var client = new Identity();
        using var key = NoiseStaticKey.Create();
        var dialer = new WebSocketChannelDialer(client.Signer, Identity.Domain, TestOptions.Fast(o => o.ConnectRetryAttempts = 2));

        var error = await Assert.ThrowsAsync<StateChannelException>(
            () => dialer.ConnectAsync(new WebSocketPeerAddress(new Uri("ws://127.0.0.1:1/channels"), key.PublicKey)).AsTask());

        Assert.Equal(ErrorCode.PeerUnavailable, error.Code);
    }

    [Fact]
    public async Task Connect_WithoutNoiseKey_RefusedAsArgumentMisuse()
    {
        using var client = new Identity();
        var dialer = new WebSocketChannelDialer(client.Signer, Identity.Domain, TestOptions.Fast());

        await Assert.ThrowsAsync<ArgumentException>(() => dialer.ConnectAsync(new WebSocketPeerAddress(new Uri("ws://127.0.0.1:1/x"), null)).AsTask());
    }

    [Fact]
    public async Task Request_PlainHttp_Gets426AndNoSlot()
    {
        await using var hub = await KestrelHub.StartAsync(TestOptions.Fast());
        using var http = new HttpClient();

        HttpResponseMessage response = await http.GetAsync(new Uri(hub.BaseUri, "/channels"));

        Assert.Equal(HttpStatusCode.UpgradeRequired, response.StatusCode);
        Assert.Equal(0, hub.Server.ConnectionCount);
    }

    [Fact]
    public async Task Connect_BeyondPerAddressLimit_RefusedBeforeTheUpgrade()
    {
        await using var hub = await KestrelHub.StartAsync(TestOptions.Fast(o => o.MaxConnectionsPerAddress = 1));
        using var first = new Identity();
        using var second = new Identity();
        await using WebSocketMessageConnection held = await new WebSocketChannelDialer(first.Signer, Identity.Domain, TestOptions.Fast()).ConnectAsync(hub.PeerAddress);

        var error = await Assert.ThrowsAsync<StateChannelException>(
            () => new WebSocketChannelDialer(second.Signer, Identity.Domain, TestOptions.Fast()).ConnectAsync(hub.PeerAddress).AsTask());

        Assert.Equal(ErrorCode.PeerUnavailable, error.Code);
        Assert.Equal(1, hub.Server.ConnectionCount);
    }

    [Fact]
    public async Task Idle_HonestPeers_KeepalivePingsHoldTheConnectionOpenPastTheIdleTimeout()
    {
        // KeepAliveInterval 150 ms, ReceiveIdleTimeout 1.5 s: only the pings keep it open for 3 s.
        await using var hub = await KestrelHub.StartAsync(TestOptions.Fast());
        using var client = new Identity();
        await using WebSocketMessageConnection clientSide = await new WebSocketChannelDialer(client.Signer, Identity.Domain, TestOptions.Fast()).ConnectAsync(hub.PeerAddress);
        await using WebSocketMessageConnection serverSide = await hub.AcceptAsync();

        await Task.Delay(TimeSpan.FromSeconds(3));

        Assert.Equal(CloseReason.None, serverSide.Inner.CloseReason);
        Assert.Equal(CloseReason.None, clientSide.Inner.CloseReason);
        await clientSide.SendAsync("still here"u8.ToArray());
        Assert.Equal("still here"u8.ToArray(), (await serverSide.ReceiveAsync())!.Value.ToArray());
    }

    [Fact]
    public async Task Idle_PeerGoesSilent_IdleTimeoutDropsIt()
    {
        await using var hub = await KestrelHub.StartAsync(TestOptions.Fast());
        using var client = new Identity();
        await using RawPeer raw = await hub.ConnectRawAsync();
        await raw.AuthenticateAsync(client);
        await using WebSocketMessageConnection accepted = await hub.AcceptAsync();

        // The raw peer neither reads nor answers pings.
        Assert.Null(await accepted.ReceiveAsync().AsTask().WaitAsync(TestOptions.Patience));

        Assert.Equal(CloseReason.IdleTimeout, accepted.Inner.CloseReason);
        await Eventually.TrueAsync(() => hub.Server.ConnectionCount == 0, "the slot is released");
    }

    [Fact]
    public async Task Flood_PeerAboveRateLimit_DroppedWithoutAffectingAnotherConnection()
    {
        var options = TestOptions.Fast(o =>
        {
            o.InboundFramesPerSecond = 200;
            o.InboundFrameBurst = 200;
        });
        await using var hub = await KestrelHub.StartAsync(options);
        using var flooder = new Identity();
        using var honest = new Identity();
        await using WebSocketMessageConnection flooderSide = await new WebSocketChannelDialer(flooder.Signer, Identity.Domain, options).ConnectAsync(hub.PeerAddress);
        await using WebSocketMessageConnection flooded = await hub.AcceptAsync();
        await using WebSocketMessageConnection honestSide = await new WebSocketChannelDialer(honest.Signer, Identity.Domain, options).ConnectAsync(hub.PeerAddress);
        await using WebSocketMessageConnection served = await hub.AcceptAsync();
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

        Assert.Equal(CloseReason.RateLimited, flooded.Inner.CloseReason);
        Assert.InRange(received, 1, 50_000 - 1);
        for (int i = 0; i < 5; i++)
        {
            await honestSide.SendAsync(new[] { (byte)i });
            Assert.Equal(new[] { (byte)i }, (await served.ReceiveAsync())!.Value.ToArray());
        }

        Assert.Equal(CloseReason.None, served.Inner.CloseReason);
    }

    [Theory]
    [InlineData(0)] // the encrypted length prefix
    [InlineData(18)] // the body
    [InlineData(-1)] // the body's MAC
    public async Task Receive_TamperedCiphertext_DropsPeerWithDecryptionFailed(int offset)
    {
        await using var hub = await KestrelHub.StartAsync(TestOptions.Fast());
        using var client = new Identity();
        await using RawPeer raw = await hub.ConnectRawAsync();
        await raw.AuthenticateAsync(client);
        await using WebSocketMessageConnection accepted = await hub.AcceptAsync();
        byte[] wire = raw.Seal(FrameFormat.Encode(FrameKind.Data, "pay 100 to mallory"u8));
        wire[offset < 0 ? wire.Length + offset : offset] ^= 0x01;

        await raw.SendWireAsync(wire);

        Assert.Null(await accepted.ReceiveAsync().AsTask().WaitAsync(TestOptions.Patience));
        Assert.Equal(CloseReason.DecryptionFailed, accepted.Inner.CloseReason);
        Assert.True(await raw.WaitForCloseAsync());
    }

    [Fact]
    public async Task Receive_TruncatedCiphertextThenEnd_DropsPeerAndDeliversNothing()
    {
        await using var hub = await KestrelHub.StartAsync(TestOptions.Fast());
        using var client = new Identity();
        RawPeer raw = await hub.ConnectRawAsync();
        await raw.AuthenticateAsync(client);
        await using WebSocketMessageConnection accepted = await hub.AcceptAsync();
        byte[] wire = raw.Seal(FrameFormat.Encode(FrameKind.Data, "cut short"u8));

        await raw.SendWireAsync(wire[..^5]);
        await raw.DisposeAsync();

        Assert.Null(await accepted.ReceiveAsync().AsTask().WaitAsync(TestOptions.Patience));
        Assert.Equal(CloseReason.ConnectionLost, accepted.Inner.CloseReason);
    }

    [Fact]
    public async Task Receive_OversizedMessageBeforeAuthentication_RefusedOnItsLengthPrefix()
    {
        await using var hub = await KestrelHub.StartAsync(TestOptions.Fast(o => o.HandshakeTimeout = TimeSpan.FromSeconds(60)));
        await using RawPeer raw = await hub.ConnectRawAsync();
        byte[] wire = raw.Seal(new byte[4096]);

        await raw.SendWireAsync(wire[..NoiseStream.HeaderSize]);

        Assert.True(await raw.WaitForCloseAsync());
        await Eventually.TrueAsync(() => hub.Server.RejectedHandshakes == 1, "the peer is refused on the length prefix alone");
    }

    [Fact]
    public async Task Receive_DataFrameAboveMaxFrameSize_DroppedOnItsHeaderBeforeThePayload()
    {
        await using var hub = await KestrelHub.StartAsync(TestOptions.Fast(o => o.MaxFrameSize = 1024));
        using var client = new Identity();
        await using RawPeer raw = await hub.ConnectRawAsync();
        await raw.AuthenticateAsync(client);
        await using WebSocketMessageConnection accepted = await hub.AcceptAsync();
        byte[] header = new byte[FrameFormat.HeaderSize];
        FrameFormat.WriteHeader(header, FrameKind.Data, 1025);

        // The header alone: the payload is never sent, so only the declared length can trigger the drop.
        await raw.SendRawAsync(header);

        Assert.Null(await accepted.ReceiveAsync().AsTask().WaitAsync(TestOptions.Patience));
        Assert.Equal(CloseReason.FrameTooLarge, accepted.Inner.CloseReason);
    }

    [Fact]
    public async Task Receive_TextMessage_DropsPeer()
    {
        await using var hub = await KestrelHub.StartAsync(TestOptions.Fast());
        using var client = new Identity();
        using var socket = new System.Net.WebSockets.ClientWebSocket();
        await socket.ConnectAsync(hub.ChannelsUri, CancellationToken.None);

        await socket.SendAsync("hello"u8.ToArray(), System.Net.WebSockets.WebSocketMessageType.Text, true, CancellationToken.None);

        await Eventually.TrueAsync(() => hub.Server.RejectedHandshakes == 1, "a text message fails the handshake");
        await Eventually.TrueAsync(() => hub.Server.ConnectionCount == 0, "the slot is released");
    }
}
