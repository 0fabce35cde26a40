using System.Security.Cryptography;
using StateChannels.Net.Authentication;
using StateChannels.Net.Framing;
using StateChannels.Net.Tests.Support;

namespace StateChannels.Net.Tests;

public abstract class TcpHandshakeTests : TransportTest
{
    protected TcpHandshakeTests(TransportEncryption mode)
        : base(mode)
    {
    }

    [Fact]
    public async Task Connect_HonestPeers_BothSidesAuthenticateEachOther()
    {
        await using TcpPair pair = await TcpPair.CreateAsync(Fast());

        Assert.Equal(pair.Server.Address, pair.ClientSide.Peer);
        Assert.Equal(pair.Client.Address, pair.ServerSide.Peer);
        Assert.Equal(0, pair.Listener.RejectedHandshakes);
    }

    [Fact]
    public async Task Connect_NoExpectedPeer_AcceptsWhoeverProvesItsAddress()
    {
        using var server = new Identity();
        using var client = new Identity();
        await using var listener = new TcpChannelListener(server.Signer, Identity.Domain, options: Fast());
        var dialer = new TcpChannelDialer(client.Signer, Identity.Domain, Fast());

        await using TcpMessageConnection connection = await dialer.ConnectAsync(listener.PeerAddress, expectedPeer: null);
        await using TcpMessageConnection accepted = await listener.AcceptAsync();

        Assert.Equal(server.Address, connection.Peer);
        Assert.Equal(client.Address, accepted.Peer);
    }

    [Fact]
    public async Task Connect_WrongExpectedPeer_ThrowsUnexpectedPeerAndListenerKeepsServing()
    {
        using var server = new Identity();
        using var client = new Identity();
        using var someoneElse = new Identity();
        await using var listener = new TcpChannelListener(server.Signer, Identity.Domain, options: Fast());
        var dialer = new TcpChannelDialer(client.Signer, Identity.Domain, Fast(o => o.ConnectRetryAttempts = 3));

        var error = await Assert.ThrowsAsync<HandshakeException>(() => dialer.ConnectAsync(listener.PeerAddress, someoneElse.Address).AsTask());

        Assert.Equal(HandshakeFailure.UnexpectedPeer, error.Failure);
        Assert.Equal(ErrorCode.ProtocolViolation, error.Code);
        await AssertStillServesAsync(listener, server);
    }

    [Fact]
    public async Task Handshake_AnswerSignedByAnotherKey_RejectedAndListenerKeepsServing()
    {
        using var server = new Identity();
        using var victim = new Identity();
        using var mallory = new Identity();
        await using var listener = new TcpChannelListener(server.Signer, Identity.Domain, options: Fast());
        await using RawPeer raw = await RawPeer.ConnectAsync(listener.PeerAddress);

        // Mallory claims the victim's address but can only sign with her own key.
        var (_, reply) = await raw.DialHandshakeAsync(mallory, claimed: victim.Address, answer: hello => mallory.Answer(raw.Bound(hello.Challenge), hello.Address));

        Assert.Equal(FrameKind.Close, reply?.Kind);
        Assert.Equal((byte)HandshakeFailure.InvalidSignature, Assert.Single(reply!.Value.Payload));
        Assert.True(await raw.WaitForCloseAsync());
        await AssertRejectedThenStillServesAsync(listener, server);
    }

    [Fact]
    public async Task Handshake_ReplayedAnswerFromAnotherSession_Rejected()
    {
        using var server = new Identity();
        using var victim = new Identity();
        await using var listener = new TcpChannelListener(server.Signer, Identity.Domain, options: Fast());

        // Session 1: the victim authenticates honestly; an eavesdropper records its answer.
        Signature recorded = default;
        await using (RawPeer first = await RawPeer.ConnectAsync(listener.PeerAddress))
        {
            var (_, reply) = await first.DialHandshakeAsync(victim, answer: hello => recorded = victim.Answer(first.Bound(hello.Challenge), hello.Address));
            Assert.Equal(FrameKind.Auth, reply?.Kind);
        }

        await using TcpMessageConnection firstSession = await listener.AcceptAsync();

        // Session 2: the eavesdropper claims the victim's address and replays the recorded answer.
        await using RawPeer replayer = await RawPeer.ConnectAsync(listener.PeerAddress);
        var (_, replayReply) = await replayer.DialHandshakeAsync(victim, answer: _ => recorded);

        Assert.Equal(FrameKind.Close, replayReply?.Kind);
        Assert.Equal((byte)HandshakeFailure.InvalidSignature, Assert.Single(replayReply!.Value.Payload));
        await AssertRejectedThenStillServesAsync(listener, server);
    }

    [Fact]
    public async Task Handshake_AnswerForAnotherChain_Rejected()
    {
        using var server = new Identity();
        using var client = new Identity();
        await using var listener = new TcpChannelListener(server.Signer, Identity.Domain, options: Fast());
        var otherChain = new Eip712Domain(1, Identity.Domain.Adjudicator);
        var dialer = new TcpChannelDialer(client.Signer, otherChain, Fast());

        var error = await Assert.ThrowsAsync<HandshakeException>(() => dialer.ConnectAsync(listener.PeerAddress, server.Address).AsTask());

        Assert.Equal(HandshakeFailure.RejectedByPeer, error.Failure);
        Assert.Equal(ErrorCode.PeerRejected, error.Code);
        Assert.Contains(nameof(HandshakeFailure.InvalidSignature), error.Message, StringComparison.Ordinal);
        await AssertRejectedThenStillServesAsync(listener, server);
    }

    [Fact]
    public async Task Handshake_PeerClaimsTheListenersOwnAddress_RejectedAsReflection()
    {
        using var server = new Identity();
        await using var listener = new TcpChannelListener(server.Signer, Identity.Domain, options: Fast());
        await using RawPeer raw = await RawPeer.ConnectAsync(listener.PeerAddress);

        await raw.SendHelloAsync(server.Address);

        Assert.Equal(HandshakeFailure.InvalidAddress, await raw.ReadCloseReasonAsync());
        await AssertRejectedThenStillServesAsync(listener, server);
    }

    [Fact]
    public async Task Handshake_WrongMagic_RejectedAndListenerKeepsServing()
    {
        using var server = new Identity();
        using var client = new Identity();
        await using var listener = new TcpChannelListener(server.Signer, Identity.Domain, options: Fast());
        await using RawPeer raw = await RawPeer.ConnectAsync(listener.PeerAddress);
        byte[] hello = RawPeer.Hello(client.Address, Hash32.CreateRandom());
        hello[0] ^= 0xff;

        await raw.SendFrameAsync(FrameKind.Hello, hello);

        Assert.Equal(HandshakeFailure.WrongMagic, await raw.ReadCloseReasonAsync());
        await AssertRejectedThenStillServesAsync(listener, server);
    }

    [Fact]
    public async Task Handshake_UnsupportedVersion_RejectedAndListenerKeepsServing()
    {
        using var server = new Identity();
        using var client = new Identity();
        await using var listener = new TcpChannelListener(server.Signer, Identity.Domain, options: Fast());
        await using RawPeer raw = await RawPeer.ConnectAsync(listener.PeerAddress);

        await raw.SendFrameAsync(FrameKind.Hello, RawPeer.Hello(client.Address, Hash32.CreateRandom(), version: 2));

        Assert.Equal(HandshakeFailure.UnsupportedVersion, await raw.ReadCloseReasonAsync());
        await AssertRejectedThenStillServesAsync(listener, server);
    }

    [Fact]
    public async Task Handshake_DataBeforeAuthentication_Rejected()
    {
        using var server = new Identity();
        await using var listener = new TcpChannelListener(server.Signer, Identity.Domain, options: Fast());
        await using RawPeer raw = await RawPeer.ConnectAsync(listener.PeerAddress);

        await raw.SendFrameAsync(FrameKind.Data, "pay me"u8);

        Assert.Equal(HandshakeFailure.Malformed, await raw.ReadCloseReasonAsync());
        await AssertRejectedThenStillServesAsync(listener, server);
    }

    [Fact]
    public async Task Handshake_LargeFrameHeaderBeforeAuthentication_RejectedOnTheHeaderAlone()
    {
        using var server = new Identity();
        // A long handshake timeout: only the header check can end this quickly.
        await using var listener = new TcpChannelListener(server.Signer, Identity.Domain, options: Fast(o => o.HandshakeTimeout = TimeSpan.FromSeconds(60)));
        await using RawPeer raw = await RawPeer.ConnectAsync(listener.PeerAddress);
        byte[] header = new byte[FrameFormat.HeaderSize];
        FrameFormat.WriteHeader(header, FrameKind.Data, 60_000);

        await raw.SendRawAsync(header);

        Assert.Equal(HandshakeFailure.Malformed, await raw.ReadCloseReasonAsync());
        await AssertRejectedThenStillServesAsync(listener, server);
    }

    [Fact]
    public async Task Handshake_RandomBytes_RejectedAndListenerKeepsServing()
    {
        using var server = new Identity();
        await using var listener = new TcpChannelListener(server.Signer, Identity.Domain, options: Fast());
        for (int i = 0; i < 5; i++)
        {
            await using RawPeer raw = await RawPeer.ConnectAsync(listener.PeerAddress);
            await raw.SendRawAsync(RandomNumberGenerator.GetBytes(4096));
            Assert.True(await raw.WaitForCloseAsync());
        }

        await Eventually.TrueAsync(() => listener.RejectedHandshakes == 5, "five rejected handshakes");
        await AssertStillServesAsync(listener, server);
    }

    [Fact]
    public async Task Handshake_SilentPeer_DroppedAfterHandshakeTimeoutAndSlotReleased()
    {
        using var server = new Identity();
        var options = Fast(o => o.HandshakeTimeout = TimeSpan.FromMilliseconds(500));
        await using var listener = new TcpChannelListener(server.Signer, Identity.Domain, options: options);
        await using RawPeer raw = await RawPeer.ConnectAsync(listener.PeerAddress);

        Assert.True(await raw.WaitForCloseAsync());

        await Eventually.TrueAsync(() => listener.ConnectionCount == 0, "the handshake slot is released");
        Assert.Equal(1, listener.RejectedHandshakes);
    }

    [Fact]
    public async Task Handshake_SlowlorisHello_DroppedAfterHandshakeTimeout()
    {
        using var server = new Identity();
        using var client = new Identity();
        var options = Fast(o => o.HandshakeTimeout = TimeSpan.FromMilliseconds(500));
        await using var listener = new TcpChannelListener(server.Signer, Identity.Domain, options: options);
        await using RawPeer raw = await RawPeer.ConnectAsync(listener.PeerAddress);
        byte[] frame = FrameFormat.Encode(FrameKind.Hello, RawPeer.Hello(client.Address, Hash32.CreateRandom()));

        bool dropped = false;
        try
        {
            for (int i = 0; i < frame.Length - 1 && !dropped; i++)
            {
                await raw.SendRawAsync([frame[i]]);
                await Task.Delay(50);
                dropped = listener.ConnectionCount == 0;
            }
        }
        catch (IOException)
        {
            dropped = true;
        }

        await Eventually.TrueAsync(() => listener.ConnectionCount == 0, "the trickling peer is dropped");
        Assert.Equal(1, listener.RejectedHandshakes);
    }

    [Fact]
    public async Task Connect_ListenerAnswersWithForgedSignature_DialerRejectsIt()
    {
        using var client = new Identity();
        using var claimed = new Identity();
        using var mallory = new Identity();
        using var rawListener = new RawListener(Mode);
        var dialer = new TcpChannelDialer(client.Signer, Identity.Domain, Fast());

        Task<TcpMessageConnection> connect = dialer.ConnectAsync(rawListener.PeerAddress, claimed.Address).AsTask();
        await using RawPeer raw = await rawListener.AcceptAsync();
        await raw.SendHelloAsync(claimed.Address);
        Assert.Equal(FrameKind.Hello, (await raw.ReadFrameAsync())?.Kind);
        Assert.Equal(FrameKind.Auth, (await raw.ReadFrameAsync())?.Kind);
        await raw.SendFrameAsync(FrameKind.Auth, mallory.Answer(raw.Bound(raw.OwnChallenge), client.Address).ToArray());

        var error = await Assert.ThrowsAsync<HandshakeException>(() => connect);
        Assert.Equal(HandshakeFailure.InvalidSignature, error.Failure);
        Assert.Equal(ErrorCode.InvalidSignature, error.Code);
        Assert.Equal(HandshakeFailure.InvalidSignature, await raw.ReadCloseReasonAsync());
    }

    [Fact]
    public async Task Connect_ListenerSendsMalformedAnswer_DialerRejectsIt()
    {
        using var client = new Identity();
        using var claimed = new Identity();
        using var rawListener = new RawListener(Mode);
        var dialer = new TcpChannelDialer(client.Signer, Identity.Domain, Fast());

        Task<TcpMessageConnection> connect = dialer.ConnectAsync(rawListener.PeerAddress, claimed.Address).AsTask();
        await using RawPeer raw = await rawListener.AcceptAsync();
        await raw.SendHelloAsync(claimed.Address);
        await raw.ReadFrameAsync();
        await raw.ReadFrameAsync();
        byte[] badV = claimed.Answer(raw.Bound(raw.OwnChallenge), client.Address).ToArray();
        badV[64] = 29;
        await raw.SendFrameAsync(FrameKind.Auth, badV);

        var error = await Assert.ThrowsAsync<HandshakeException>(() => connect);
        Assert.Equal(HandshakeFailure.InvalidSignature, error.Failure);
    }

    [Fact]
    public async Task Connect_ListenerNeverAnswers_DialerTimesOut()
    {
        using var client = new Identity();
        using var rawListener = new RawListener(Mode);
        var options = Fast(o => o.HandshakeTimeout = TimeSpan.FromMilliseconds(500));
        var dialer = new TcpChannelDialer(client.Signer, Identity.Domain, options);

        Task<TcpMessageConnection> connect = dialer.ConnectAsync(rawListener.PeerAddress, expectedPeer: null).AsTask();
        await using RawPeer raw = await rawListener.AcceptAsync();

        var error = await Assert.ThrowsAsync<HandshakeException>(() => connect);
        Assert.Equal(HandshakeFailure.Timeout, error.Failure);
        Assert.Equal(ErrorCode.Timeout, error.Code);
    }

    private async Task AssertRejectedThenStillServesAsync(TcpChannelListener listener, Identity server)
    {
        await Eventually.TrueAsync(() => listener.RejectedHandshakes >= 1, "the handshake is rejected");
        await AssertStillServesAsync(listener, server);
    }

    private async Task AssertStillServesAsync(TcpChannelListener listener, Identity server)
    {
        using var honest = new Identity();
        var dialer = new TcpChannelDialer(honest.Signer, Identity.Domain, Fast());
        await using TcpMessageConnection connection = await dialer.ConnectAsync(listener.PeerAddress, server.Address);
        await using TcpMessageConnection accepted = await listener.AcceptAsync(new CancellationTokenSource(TestOptions.Patience).Token);
        Assert.Equal(honest.Address, accepted.Peer);
        await connection.SendAsync("still here"u8.ToArray());
        Assert.Equal("still here"u8.ToArray(), (await accepted.ReceiveAsync())!.Value.ToArray());
    }
}

/// <summary>Over Noise (the default).</summary>
public sealed class TcpHandshakeTestsNoise() : TcpHandshakeTests(TransportEncryption.Noise);

/// <summary>In plaintext.</summary>
public sealed class TcpHandshakeTestsPlain() : TcpHandshakeTests(TransportEncryption.None);
