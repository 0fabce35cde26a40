using System.Net;
using StateChannels.Net.Noise;
using StateChannels.Net.Tests.Support;

namespace StateChannels.Net.Tests;

public abstract class TcpDialerTests : TransportTest
{
    protected TcpDialerTests(TransportEncryption mode)
        : base(mode)
    {
    }

    private TcpPeerAddress Target(IPEndPoint endPoint, NoiseStaticKey? key = null) =>
        new(endPoint, Mode == TransportEncryption.None ? null : (key ?? NoiseStaticKey.Create()).PublicKey);

    private TcpTransportOptions Retrying(int attempts) => Fast(o =>
    {
        o.ConnectRetryAttempts = attempts;
        o.ConnectRetryDelay = TimeSpan.FromMilliseconds(50);
        o.ConnectRetryMaxDelay = TimeSpan.FromMilliseconds(200);
        o.ConnectTimeout = TimeSpan.FromSeconds(20);
    });

    [Fact]
    public async Task Connect_ListenerAppearsLater_RetriesThenConnects()
    {
        using var server = new Identity();
        using var client = new Identity();
        var endPoint = new IPEndPoint(IPAddress.Loopback, RawListener.FreePort());
        var dialer = new TcpChannelDialer(client.Signer, Identity.Domain, Retrying(100));

        // The dialer knows the listener's Noise key before the listener exists: a key kept across restarts.
        using var noiseKey = NoiseStaticKey.Create();
        Task<TcpMessageConnection> connect = dialer.ConnectAsync(Target(endPoint, noiseKey), server.Address).AsTask();
        await Task.Delay(600);
        Assert.False(connect.IsCompleted);
        await using var listener = new TcpChannelListener(server.Signer, Identity.Domain, endPoint, Fast(o => o.NoiseKey = noiseKey));

        await using TcpMessageConnection connection = await connect.WaitAsync(TestOptions.Patience);
        Assert.Equal(server.Address, connection.Peer);
    }

    [Fact]
    public async Task Connect_NobodyListening_FailsWithPeerUnavailableAfterRetries()
    {
        using var client = new Identity();
        var endPoint = new IPEndPoint(IPAddress.Loopback, RawListener.FreePort());
        var dialer = new TcpChannelDialer(client.Signer, Identity.Domain, Retrying(2));

        var error = await Assert.ThrowsAsync<StateChannelException>(() => dialer.ConnectAsync(Target(endPoint), expectedPeer: null).AsTask());

        Assert.Equal(ErrorCode.PeerUnavailable, error.Code);
    }

    [Fact]
    public async Task Connect_NobodyListeningPastConnectTimeout_FailsWithTimeout()
    {
        using var client = new Identity();
        var endPoint = new IPEndPoint(IPAddress.Loopback, RawListener.FreePort());
        var options = Retrying(1000);
        options.ConnectTimeout = TimeSpan.FromMilliseconds(500);
        var dialer = new TcpChannelDialer(client.Signer, Identity.Domain, options);

        var error = await Assert.ThrowsAsync<StateChannelException>(() => dialer.ConnectAsync(Target(endPoint), expectedPeer: null).AsTask());

        Assert.Equal(ErrorCode.Timeout, error.Code);
    }

    [Fact]
    public async Task Connect_AuthenticationFailure_IsNotRetried()
    {
        using var server = new Identity();
        using var client = new Identity();
        using var other = new Identity();
        await using var listener = new TcpChannelListener(server.Signer, Identity.Domain, options: Fast());
        var dialer = new TcpChannelDialer(client.Signer, Identity.Domain, Retrying(5));

        await Assert.ThrowsAsync<HandshakeException>(() => dialer.ConnectAsync(listener.PeerAddress, other.Address).AsTask());

        // One attempt only: the listener saw exactly one (refused) handshake.
        await Eventually.TrueAsync(() => listener.ConnectionCount == 0, "the attempt is over");
        Assert.Equal(1, listener.RejectedHandshakes);
    }

    [Fact]
    public async Task Connect_CancelledBefore_ThrowsWithoutConnecting()
    {
        using var server = new Identity();
        using var client = new Identity();
        await using var listener = new TcpChannelListener(server.Signer, Identity.Domain, options: Fast());
        var dialer = new TcpChannelDialer(client.Signer, Identity.Domain, Fast());

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => dialer.ConnectAsync(listener.PeerAddress, server.Address, new CancellationToken(true)).AsTask());

        await Task.Delay(200);
        Assert.Equal(0, listener.ConnectionCount);
    }

    [Fact]
    public async Task Connect_CancelledDuringHandshake_ThrowsOperationCanceled()
    {
        using var client = new Identity();
        using var rawListener = new RawListener(Mode);
        var dialer = new TcpChannelDialer(client.Signer, Identity.Domain, Fast(o => o.HandshakeTimeout = TimeSpan.FromSeconds(30)));
        using var cts = new CancellationTokenSource();

        Task<TcpMessageConnection> connect = dialer.ConnectAsync(rawListener.PeerAddress, expectedPeer: null, cts.Token).AsTask();
        await using RawPeer silent = await rawListener.AcceptAsync();
        await Task.Delay(200);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => connect.WaitAsync(TestOptions.Patience));
        Assert.True(await silent.WaitForCloseAsync());
    }

    [Fact]
    public async Task Connect_CancelledDuringRetryBackoff_ThrowsOperationCanceled()
    {
        using var client = new Identity();
        var endPoint = new IPEndPoint(IPAddress.Loopback, RawListener.FreePort());
        var options = Retrying(1000);
        options.ConnectRetryDelay = TimeSpan.FromSeconds(5);
        options.ConnectRetryMaxDelay = TimeSpan.FromSeconds(5);
        var dialer = new TcpChannelDialer(client.Signer, Identity.Domain, options);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => dialer.ConnectAsync(Target(endPoint), expectedPeer: null, cts.Token).AsTask());
    }

    [Fact]
    public async Task Receive_CancelledBefore_ThrowsAndConnectionStaysUsable()
    {
        await using TcpPair pair = await TcpPair.CreateAsync(Fast());

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pair.ServerSide.ReceiveAsync(new CancellationToken(true)).AsTask());

        await pair.ClientSide.SendAsync("after"u8.ToArray());
        Assert.Equal("after"u8.ToArray(), (await pair.ServerSide.ReceiveAsync())!.Value.ToArray());
    }

    [Fact]
    public async Task Receive_CancelledDuring_ThrowsAndConnectionStaysUsable()
    {
        await using TcpPair pair = await TcpPair.CreateAsync(Fast());
        using var cts = new CancellationTokenSource();

        ValueTask<ReadOnlyMemory<byte>?> pending = pair.ServerSide.ReceiveAsync(cts.Token);
        await Task.Delay(100);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending.AsTask());
        await pair.ClientSide.SendAsync("after"u8.ToArray());
        Assert.Equal("after"u8.ToArray(), (await pair.ServerSide.ReceiveAsync())!.Value.ToArray());
        Assert.Equal(CloseReason.None, pair.ServerSide.CloseReason);
    }

    [Fact]
    public async Task Send_CancelledBefore_ThrowsAndSendsNothing()
    {
        await using TcpPair pair = await TcpPair.CreateAsync(Fast());

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pair.ClientSide.SendAsync("lost"u8.ToArray(), new CancellationToken(true)).AsTask());

        await pair.ClientSide.SendAsync("kept"u8.ToArray());
        Assert.Equal("kept"u8.ToArray(), (await pair.ServerSide.ReceiveAsync())!.Value.ToArray());
    }

    [Fact]
    public async Task Accept_CancelledBeforeAndDuring_ThrowsAndListenerKeepsServing()
    {
        using var server = new Identity();
        using var client = new Identity();
        await using var listener = new TcpChannelListener(server.Signer, Identity.Domain, options: Fast());
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => listener.AcceptAsync(new CancellationToken(true)).AsTask());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => listener.AcceptAsync(cts.Token).AsTask());

        await using TcpMessageConnection connection = await new TcpChannelDialer(client.Signer, Identity.Domain, Fast()).ConnectAsync(listener.PeerAddress, server.Address);
        await foreach (TcpMessageConnection accepted in listener.AcceptAllAsync())
        {
            await using (accepted)
            {
                Assert.Equal(client.Address, accepted.Peer);
            }

            break;
        }
    }
}

/// <summary>Over Noise (the default).</summary>
public sealed class TcpDialerTestsNoise() : TcpDialerTests(TransportEncryption.Noise);

/// <summary>In plaintext.</summary>
public sealed class TcpDialerTestsPlain() : TcpDialerTests(TransportEncryption.None);
